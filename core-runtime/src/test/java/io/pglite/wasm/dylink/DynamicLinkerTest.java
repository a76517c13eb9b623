package io.pglite.wasm.dylink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.dylibso.chicory.runtime.ImportFunction;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.runtime.TableInstance;
import com.dylibso.chicory.wasm.ChicoryException;
import com.dylibso.chicory.wasm.types.Export;
import com.dylibso.chicory.wasm.types.ExternalType;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.ValType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class DynamicLinkerTest {
    private static final String LIBDIR = "/pglite/lib/postgresql/";
    private static final String PLPGSQL = LIBDIR + "plpgsql.so";

    @Test
    void plpgsqlLoadsWithRelocatedDataAndTableSlots() {
        Instance main = MainInstances.newInstance();
        TableInstance table = HostFunctionTable.mainTable(main);
        int heapBase = (int) main.exports().global("__heap_base").getValue();
        int tableBefore = table.size();
        DynamicLinker linker = new DynamicLinker(main, HostImportResolver.none());

        LoadedLibrary lib = linker.load(PLPGSQL, PgliteTestFiles.file(PLPGSQL));

        assertThat(lib.memorySize()).isEqualTo(31_432);
        assertThat(lib.memoryBase()).isGreaterThanOrEqualTo(heapBase);
        assertThat(lib.memoryBase() % 16).isZero();
        assertThat(lib.tableBase()).isEqualTo(tableBefore);
        assertThat(lib.tableSize()).isEqualTo(38);
        assertThat(table.size()).isGreaterThanOrEqualTo(tableBefore + 38);

        // pg_finfo_* returns &my_finfo, a static struct whose api_version is 1
        int finfo = (int) lib.function("pg_finfo_plpgsql_call_handler").apply()[0];
        assertThat(finfo).isBetween(lib.memoryBase(), lib.memoryBase() + lib.memorySize());
        assertThat(main.memory().readInt(finfo)).isEqualTo(1);
        // Pg_magic_func returns a struct whose first int is its own size
        int magic = (int) lib.function("Pg_magic_func").apply()[0];
        assertThat(main.memory().readInt(magic)).isBetween(16, 256);

        // loading again returns the cached library
        assertThat(linker.load(PLPGSQL, new byte[0])).isSameAs(lib);
        assertThat(linker.library("/pglite/lib//postgresql/./plpgsql.so")).containsSame(lib);
    }

    @Test
    void gotEntriesPointAtTheRightFunctionsAndData() {
        Instance main = MainInstances.newInstance();
        TableInstance table = HostFunctionTable.mainTable(main);
        DynamicLinker linker = new DynamicLinker(main, HostImportResolver.none());
        LoadedLibrary lib = linker.load(PLPGSQL, PgliteTestFiles.file(PLPGSQL));

        // plpgsql imports GOT.func of two of its own exports
        for (String own : List.of("plpgsql_compile", "plpgsql_parser_setup")) {
            int slot = linker.gotValue(own).orElseThrow();
            assertThat(table.instance(slot)).as(own).isSameAs(lib.instance());
            assertThat(table.ref(slot)).as(own).isEqualTo(lib.functionIndex(own).getAsInt());
        }
        // ... and of main functions: the slot holds main's function
        int strcmp = linker.gotValue("strcmp").orElseThrow();
        assertThat(table.ref(strcmp)).isEqualTo(exportIndex(main, "strcmp"));
        assertThat(table.instance(strcmp)).isIn(main, null);
        // GOT.mem of main data = the exported global's value (an address)
        assertThat(linker.gotValue("work_mem").orElseThrow())
                .isEqualTo((int) main.exports().global("work_mem").getValue());
        // every exported function of the library is in the GOT with its own slot
        for (String name : lib.exportNames()) {
            if (name.startsWith("__wasm")) {
                continue;
            }
            int slot = linker.gotValue(name).orElseThrow();
            assertThat(table.ref(slot)).as(name).isEqualTo(lib.functionIndex(name).getAsInt());
            assertThat(table.instance(slot)).as(name).isSameAs(lib.instance());
        }

        // a side-module function called through its table slot from Java
        int slot = linker.gotValue("pg_finfo_plpgsql_validator").orElseThrow();
        int finfo = (int) IndirectCalls.call(table, main, slot)[0];
        assertThat(main.memory().readInt(finfo)).isEqualTo(1);
    }

    @Test
    void sideModuleFunctionsUseMainsTypeIndices() {
        Instance main = MainInstances.newInstance();
        DynamicLinker linker = new DynamicLinker(main, HostImportResolver.none());
        LoadedLibrary lib = linker.load(PLPGSQL, PgliteTestFiles.file(PLPGSQL));
        Instance side = lib.instance();
        // the condition Chicory 1.7.5 checks on call_indirect from main into the side module
        for (String name : lib.exportNames()) {
            int idx = lib.functionIndex(name).orElse(-1);
            if (idx < 0) {
                continue;
            }
            int sideType = side.functionType(idx);
            FunctionType sig = side.type(sideType);
            assertThat(sideType).as(name).isEqualTo(indexOfFirst(main, sig));
        }
    }

    @Test
    void callIndirectFromMainIntoSideModulePassesChicorysTypeCheck() {
        Instance main = MainInstances.newInstance();
        DynamicLinker linker = new DynamicLinker(main, HostImportResolver.none());
        LoadedLibrary lib = linker.load(LIBDIR + "testlib.so", TestModules.testLibrary(null, false, true));

        int cmp = linker.gotValue("cmp_desc").orElseThrow();
        assertThat(cmp).isEqualTo(lib.tableBase()); // reuses the element-segment slot
        int[] sorted = qsort(main, cmp, 5, -3, 99, 0, 12);
        assertThat(sorted).containsExactly(99, 12, 5, 0, -3);
    }

    @Test
    void withoutTheTypeRewriteChicoryRejectsTheSameCall() {
        Instance main = MainInstances.newInstance();
        DynamicLinker linker =
                DynamicLinker.builder(main).withTypeRewrite(false).build();
        linker.load(LIBDIR + "testlib.so", TestModules.testLibrary(null, false, true));
        int cmp = linker.gotValue("cmp_desc").orElseThrow();
        assertThatThrownBy(() -> qsort(main, cmp, 5, -3, 99, 0, 12))
                .isInstanceOf(ChicoryException.class)
                .hasMessageContaining("type");
    }

    @Test
    void testLibraryIsLinkedLikeEmscriptenDoes() {
        AtomicReference<Instance> seen = new AtomicReference<>();
        HostImportResolver resolver =
                (module, name, type) ->
                        name.equals("host_answer")
                                ? Optional.of(
                                        new ImportFunction(
                                                "x",
                                                "y",
                                                type,
                                                (inst, args) -> {
                                                    seen.set(inst);
                                                    return new long[] {4242};
                                                }))
                                : Optional.empty();
        Instance main = MainInstances.newInstance();
        Memory mem = main.memory();
        DynamicLinker linker = new DynamicLinker(main, resolver);
        LoadedLibrary lib = linker.load(LIBDIR + "testlib.so", TestModules.testLibrary(null, false, true));
        int base = lib.memoryBase();

        // data segment at __memory_base, exported data symbol relocated
        assertThat(lib.dataAddress("counter")).hasValue(base);
        assertThat(linker.gotValue("counter")).hasValue(base);
        assertThat(mem.readInt(base)).isEqualTo(42);
        // __wasm_apply_data_relocs ran after the GOT was filled, __wasm_call_ctors once
        assertThat(mem.readInt(base + 4)).isEqualTo(linker.gotValue("cmp_desc").getAsInt());
        assertThat(mem.readInt(base + 8)).isEqualTo(1);
        // host resolver import, called with the main instance
        assertThat(lib.function("answer").apply()).containsExactly(4242);
        assertThat(seen.get()).isSameAs(main);
        // main export import: strlen
        int s = MainInstances.cString(main, "hello, side module");
        assertThat(lib.function("my_strlen").apply(s)).containsExactly(18);
        // getTempRet0 falls back to main's _emscripten_tempret_get
        main.export("_emscripten_tempret_set").apply(77);
        assertThat(lib.function("temp_ret").apply()).containsExactly(77);
        // multi-value block type (appended to the registry) still works
        assertThat(lib.function("sum_pair").apply()).containsExactly(42);
        // unresolved function: lazy stub fails only when called, naming the symbol
        assertThatThrownBy(() -> lib.function("call_undefined").apply())
                .isInstanceOf(DynamicLinkException.class)
                .hasMessageContaining("undefined_function");
        // side module calling a main function through the table with its own type index
        int strcmpLike = linker.tableIndexOf(main, exportIndex(main, "strcmp"));
        int a = MainInstances.cString(main, "abc");
        int b = MainInstances.cString(main, "abd");
        assertThat((int) lib.function("call_via_table").apply(strcmpLike, a, b)[0]).isNegative();
        // ... and a Java host function from HostFunctionTable
        int hostSlot =
                new HostFunctionTable(main)
                        .add(
                                "sum",
                                FunctionType.of(List.of(ValType.I32, ValType.I32), List.of(ValType.I32)),
                                (inst, args) -> new long[] {args[0] + args[1]});
        assertThat(lib.function("call_via_table").apply(hostSlot, 40, 2)).containsExactly(42);
    }

    @Test
    void dlopenAndDlsymThroughTheHandleStruct() {
        Instance main = MainInstances.newInstance();
        Memory mem = main.memory();
        TableInstance table = HostFunctionTable.mainTable(main);
        DynamicLinker linker = new DynamicLinker(main, HostImportResolver.none());
        byte[] so = PgliteTestFiles.file(PLPGSQL);
        int handle = handle(main, PLPGSQL, so);

        assertThat(linker.dlopenJs(handle)).isEqualTo(1);
        LoadedLibrary lib = linker.library(PLPGSQL).orElseThrow();
        assertThat(mem.read(handle + DynamicLinker.HANDLE_LOADED)).isEqualTo((byte) 1);
        assertThat(mem.readInt(handle + DynamicLinker.HANDLE_MEMORY_BASE)).isEqualTo(lib.memoryBase());
        assertThat(mem.readInt(handle + DynamicLinker.HANDLE_MEMORY_SIZE)).isEqualTo(31_432);
        assertThat(mem.readInt(handle + DynamicLinker.HANDLE_TABLE_BASE)).isEqualTo(lib.tableBase());
        assertThat(mem.readInt(handle + DynamicLinker.HANDLE_TABLE_SIZE)).isEqualTo(38);

        int symIndex = MainInstances.malloc(main, 4);
        for (String sym : List.of("_PG_init", "plpgsql_call_handler")) {
            mem.writeI32(symIndex, -1);
            int slot = linker.dlsymJs(handle, MainInstances.cString(main, sym), symIndex);
            assertThat(slot).as(sym).isPositive();
            assertThat(table.instance(slot)).as(sym).isSameAs(lib.instance());
            assertThat(table.ref(slot)).as(sym).isEqualTo(lib.functionIndex(sym).getAsInt());
            // already in the table (the GOT gave every export a slot): index not written
            assertThat(mem.readInt(symIndex)).isEqualTo(-1);
        }
        // absent symbol: 0 and a dlerror naming it
        assertThat(linker.dlsymJs(handle, MainInstances.cString(main, "no_such_fn"), symIndex)).isZero();
        assertThat(MainInstances.dlerror(main))
                .contains("no_such_fn")
                .contains("plpgsql.so");
        // handle 0: main's own symbols
        int mainStrlen = linker.dlsymJs(0, MainInstances.cString(main, "strlen"), symIndex);
        assertThat(table.ref(mainStrlen)).isEqualTo(exportIndex(main, "strlen"));

        // a second dlopen of the same path with a new handle reuses the library
        int tableSize = table.size();
        int handle2 = handle(main, PLPGSQL, so);
        assertThat(linker.dlopenJs(handle2)).isEqualTo(1);
        assertThat(table.size()).isEqualTo(tableSize);
        assertThat(linker.libraries()).hasSize(1);
        assertThat(mem.readInt(handle2 + DynamicLinker.HANDLE_MEMORY_BASE)).isEqualTo(lib.memoryBase());
        assertThat(linker.dlsymJs(handle2, MainInstances.cString(main, "_PG_init"), symIndex))
                .isEqualTo(linker.gotValue("_PG_init").getAsInt());
    }

    @Test
    void dictSnowballAndEncodingConversionsLoad() {
        Instance main = MainInstances.newInstance();
        DynamicLinker linker = new DynamicLinker(main, HostImportResolver.none());
        List<String> names = List.of("dict_snowball.so", "utf8_and_iso8859_1.so", "euc_cn_and_mic.so");
        List<LoadedLibrary> libs = new ArrayList<>();
        for (String n : names) {
            libs.add(linker.load(LIBDIR + n, PgliteTestFiles.file(LIBDIR + n)));
        }
        assertThat(libs.get(0).memorySize()).isEqualTo(268_708);
        assertThat(libs.get(0).tableSize()).isEqualTo(159);
        // non-overlapping memory and table ranges
        for (int i = 1; i < libs.size(); i++) {
            LoadedLibrary prev = libs.get(i - 1);
            LoadedLibrary cur = libs.get(i);
            if (cur.memorySize() > 0) {
                assertThat(cur.memoryBase()).isGreaterThanOrEqualTo(prev.memoryBase() + prev.memorySize());
            }
            if (cur.tableSize() > 0) {
                assertThat(cur.tableBase()).isGreaterThanOrEqualTo(prev.tableBase() + prev.tableSize());
            } else {
                assertThat(cur.tableBase()).isZero(); // as in the glue: no slots, base 0
            }
        }
        for (String fn :
                List.of("pg_finfo_dsnowball_lexize", "pg_finfo_utf8_to_iso8859_1", "pg_finfo_euc_cn_to_mic")) {
            LoadedLibrary lib =
                    libs.stream().filter(l -> l.functionIndex(fn).isPresent()).findFirst().orElseThrow();
            int finfo = (int) lib.function(fn).apply()[0];
            assertThat(main.memory().readInt(finfo)).as(fn).isEqualTo(1);
        }
    }

    @Test
    void everyPackagedSideModuleLinksIntoOneBackend() {
        Instance main = MainInstances.newInstance();
        DynamicLinker linker = new DynamicLinker(main, HostImportResolver.none());
        List<String> loaded = new ArrayList<>();
        for (String f : PgliteTestFiles.files()) {
            if (f.endsWith("/libpqwalreceiver.so")) {
                // needs the backend's WalReceiverFunctions, which pglite.wasm does not export:
                // Emscripten's loader rejects it the same way (strong undefined GOT symbol)
                assertThatThrownBy(() -> linker.load(f, PgliteTestFiles.file(f)))
                        .isInstanceOf(DynamicLinkException.class)
                        .hasMessageContaining("undefined symbol: WalReceiverFunctions");
            } else if (f.endsWith(".so")) {
                linker.load(f, PgliteTestFiles.file(f));
                loaded.add(f);
            }
        }
        PgliteTestFiles.extensionLibraries()
                .forEach(
                        (name, bytes) -> {
                            String path = LIBDIR + name.substring(name.lastIndexOf('/') + 1);
                            linker.load(path, bytes);
                            loaded.add(path);
                        });
        assertThat(loaded).hasSizeGreaterThan(60);
        for (String path : loaded) {
            LoadedLibrary lib = linker.library(path).orElseThrow();
            if (lib.functionIndex("Pg_magic_func").isPresent()) {
                int magic = (int) lib.function("Pg_magic_func").apply()[0];
                // Pg_magic_struct.len: the struct's own size, proves data was placed and relocated
                assertThat(main.memory().readInt(magic)).as(path).isBetween(16, 256);
            }
        }
    }

    @Test
    void corruptLibraryMakesDlopenFailWithAMessage() {
        Instance main = MainInstances.newInstance();
        DynamicLinker linker = new DynamicLinker(main, HostImportResolver.none());
        byte[] so = PgliteTestFiles.file(PLPGSQL);
        String path = LIBDIR + "broken%s.so"; // '%' must not be taken as a printf conversion

        int handle = handle(main, path, Arrays.copyOf(so, so.length / 2));
        assertThat(linker.dlopenJs(handle)).isZero();
        assertThat(MainInstances.dlerror(main))
                .startsWith("could not load dynamic lib: " + path)
                .contains("unexpected end of data");
        assertThat(linker.libraries()).isEmpty();

        int notSide = handle(main, LIBDIR + "plain.so", TestModules.testLibrary(null, false, false));
        assertThat(linker.dlopenJs(notSide)).isZero();
        assertThat(MainInstances.dlerror(main)).contains("dylink.0");

        // the linker is still usable
        assertThat(linker.dlopenJs(handle(main, PLPGSQL, so))).isEqualTo(1);
    }

    @Test
    void undefinedStrongDataSymbolFailsTheLoadAndWeakOneIsZero() {
        Instance main = MainInstances.newInstance();
        DynamicLinker linker = new DynamicLinker(main, HostImportResolver.none());
        int h = handle(main, LIBDIR + "strong.so", TestModules.testLibrary("no_such_data", false, true));
        assertThat(linker.dlopenJs(h)).isZero();
        assertThat(MainInstances.dlerror(main)).contains("undefined symbol: no_such_data");
        // the failed load left nothing behind in the GOT
        assertThat(linker.gotValue("cmp_desc")).isEmpty();

        LoadedLibrary weak =
                linker.load(LIBDIR + "weak.so", TestModules.testLibrary("no_such_data", true, true));
        assertThat(linker.gotValue("no_such_data")).hasValue(0);
        assertThat(weak.function("sum_pair").apply()).containsExactly(42);
    }


    // ------------------------------------------------------------------ helpers

    /** A dlopen handle as pglite's C dlopen builds it: flags, file bytes, inline path. */
    static int handle(Instance main, String path, byte[] file) {
        Memory mem = main.memory();
        byte[] p = path.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        int h = MainInstances.malloc(main, 37 + p.length);
        mem.fill((byte) 0, h, h + 37 + p.length);
        mem.writeI32(h + DynamicLinker.HANDLE_FLAGS, 258); // RTLD_NOW | RTLD_GLOBAL
        int data = MainInstances.malloc(main, Math.max(1, file.length));
        mem.write(data, file);
        mem.writeI32(h + DynamicLinker.HANDLE_FILE_DATA, data);
        mem.writeI32(h + DynamicLinker.HANDLE_FILE_SIZE, file.length);
        mem.write(h + DynamicLinker.HANDLE_NAME, p);
        return h;
    }

    private static int[] qsort(Instance main, int cmpSlot, int... values) {
        Memory mem = main.memory();
        int base = MainInstances.malloc(main, values.length * 4);
        for (int i = 0; i < values.length; i++) {
            mem.writeI32(base + 4 * i, values[i]);
        }
        main.export("pg_qsort").apply(base, values.length, 4, cmpSlot);
        int[] out = new int[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = mem.readInt(base + 4 * i);
        }
        return out;
    }

    private static int exportIndex(Instance main, String name) {
        var exports = main.module().exportSection();
        for (int i = 0; i < exports.exportCount(); i++) {
            Export e = exports.getExport(i);
            if (e.name().equals(name) && e.exportType() == ExternalType.FUNCTION) {
                return e.index();
            }
        }
        throw new IllegalArgumentException(name);
    }

    private static int indexOfFirst(Instance main, FunctionType sig) {
        return Arrays.asList(main.module().typeSection().types()).indexOf(sig);
    }
}
