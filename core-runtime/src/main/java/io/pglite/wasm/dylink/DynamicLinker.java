package io.pglite.wasm.dylink;

import com.dylibso.chicory.runtime.ChicoryInterruptedException;
import com.dylibso.chicory.runtime.GlobalInstance;
import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.ImportFunction;
import com.dylibso.chicory.runtime.ImportGlobal;
import com.dylibso.chicory.runtime.ImportMemory;
import com.dylibso.chicory.runtime.ImportTable;
import com.dylibso.chicory.runtime.ImportTag;
import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.runtime.TableInstance;
import com.dylibso.chicory.runtime.WasmFunctionHandle;
import com.dylibso.chicory.wasm.ChicoryException;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.Export;
import com.dylibso.chicory.wasm.types.ExportSection;
import com.dylibso.chicory.wasm.types.ExternalType;
import com.dylibso.chicory.wasm.types.FunctionImport;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.GlobalImport;
import com.dylibso.chicory.wasm.types.Import;
import com.dylibso.chicory.wasm.types.ImportSection;
import com.dylibso.chicory.wasm.types.MutabilityType;
import com.dylibso.chicory.wasm.types.ValType;
import com.dylibso.chicory.wasm.types.Value;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Emscripten-style dynamic linking of side modules ({@code .so} files built with {@code
 * -sSIDE_MODULE}) into a main pglite instance, the Java counterpart of the JS glue's {@code
 * loadWebAssemblyModule}/{@code _dlopen_js}/{@code _dlsym_js}.
 *
 * <p>What a load does, in the glue's order:
 *
 * <ol>
 *   <li>parse {@code dylink.0}; load needed libraries first;
 *   <li>rewrite the module's types onto the main instance's {@link TypeRegistry} (the Chicory
 *       1.7.5 {@code call_indirect} workaround), then parse and validate it with Chicory;
 *   <li>reserve {@code memorySize} bytes (+ alignment) with main's {@code calloc} and {@code
 *       tableSize} new table slots; write the results into the C handle when there is one;
 *   <li>link imports: {@code env.memory}, {@code env.__indirect_function_table}, {@code
 *       env.__stack_pointer} (main's global, shared), {@code env.__memory_base}/{@code
 *       __table_base} constants, {@code GOT.mem.*}/{@code GOT.func.*} shared mutable globals,
 *       functions from main's exports, the {@link HostImportResolver}, main's own imports, global
 *       libraries, or a lazy stub that resolves at call time;
 *   <li>instantiate (the start function relocates the module's internal globals);
 *   <li>give every exported function a table slot and every exported data symbol its address
 *       ({@code memoryBase + value}) in the GOT; resolve remaining GOT entries (undefined weak →
 *       0, undefined strong → error);
 *   <li>run {@code __wasm_apply_data_relocs} and {@code __wasm_call_ctors}.
 * </ol>
 *
 * <p>The GOT is one namespace per linker (as in the glue, {@code GOT.mem.x} and {@code GOT.func.x}
 * are the same entry). Main's symbols enter it lazily, when a side module asks. Libraries are
 * cached by normalised path. Host functions provided for imports are invoked with the
 * <em>main</em> instance as their {@code Instance} argument, so host code written for main's
 * imports (which may look up main's exports) works unchanged.
 *
 * <p>Use one linker per main instance. All methods are synchronized.
 */
public final class DynamicLinker {
    private static final Logger LOG = LoggerFactory.getLogger(DynamicLinker.class);

    /** {@code dlopen} handle: flags passed to {@code dlopen} (i32). */
    public static final int HANDLE_FLAGS = 4;
    /** {@code dlopen} handle: set to 1 by the host once loaded (u8). */
    public static final int HANDLE_LOADED = 8;
    /** {@code dlopen} handle: memory base written by the host (u32). */
    public static final int HANDLE_MEMORY_BASE = 12;
    /** {@code dlopen} handle: memory size written by the host (i32). */
    public static final int HANDLE_MEMORY_SIZE = 16;
    /** {@code dlopen} handle: table base written by the host (u32). */
    public static final int HANDLE_TABLE_BASE = 20;
    /** {@code dlopen} handle: table size written by the host (i32). */
    public static final int HANDLE_TABLE_SIZE = 24;
    /** {@code dlopen} handle: pointer to the file bytes read by C (u32, 0 if not read). */
    public static final int HANDLE_FILE_DATA = 28;
    /** {@code dlopen} handle: number of file bytes (u32). */
    public static final int HANDLE_FILE_SIZE = 32;
    /** {@code dlopen} handle: NUL-terminated path (inline string). */
    public static final int HANDLE_NAME = 36;

    /** {@code RTLD_GLOBAL} in Emscripten's musl. */
    public static final int RTLD_GLOBAL = 0x100;

    private static final int UNRESOLVED = -1;

    /** Exports that are linker plumbing, never symbols (the glue's {@code isInternalSym}). */
    private static final Set<String> INTERNAL_SYMBOLS =
            Set.of(
                    "memory",
                    "__memory_base",
                    "__table_base",
                    "__stack_pointer",
                    "__indirect_function_table",
                    "__cpp_exception",
                    "__c_longjmp",
                    "__wasm_apply_data_relocs",
                    "__dso_handle",
                    "__tls_size",
                    "__tls_align",
                    "__set_stack_limits",
                    "_emscripten_tls_init",
                    "__wasm_init_tls",
                    "__wasm_call_ctors",
                    "__start_em_asm",
                    "__stop_em_asm",
                    "__start_em_js",
                    "__stop_em_js");

    /**
     * Glue functions that are thin wrappers of a main export: used when neither main nor the host
     * resolver provides the import itself (the glue's {@code getTempRet0} calls {@code
     * _emscripten_tempret_get}).
     */
    private static final Map<String, String> MAIN_ALIASES =
            Map.of(
                    "getTempRet0", "_emscripten_tempret_get",
                    "setTempRet0", "_emscripten_tempret_set");

    private final Instance main;
    private final Memory memory;
    private final TableInstance table;
    private final GlobalInstance stackPointer;
    private final TypeRegistry types;
    private final HostImportResolver hostImports;
    private final SideModuleMachineFactory machineFactory;
    private final LibraryLocator locator;
    private final Predicate<Throwable> propagate;
    private final UndefinedFunctionHandler undefinedFunctions;
    private final boolean rewriteTypes;

    private final Map<String, Export> mainExports = new HashMap<>();
    /** Main's function imports: "module.name" and bare "name" -> function index. */
    private final Map<String, Integer> mainImportFunctions = new HashMap<>();
    private final Map<String, GlobalInstance> got = new HashMap<>();
    private final Map<String, LoadedLibrary> byPath = new LinkedHashMap<>();
    private final Map<Integer, LoadedLibrary> byHandle = new HashMap<>();
    /** Per owning instance: function index -> a table slot holding it. */
    private final Map<Instance, Map<Integer, Integer>> slots = new IdentityHashMap<>();
    private final Deque<String> loading = new ArrayDeque<>();
    private boolean mainSlotsScanned;
    /** Main's {@code __memory_base}: 0 unless main is relocatable. */
    private final int mainMemoryBase;

    /**
     * Creates a linker with the interpreter for side modules and no library locator.
     *
     * @param main the main (pglite) instance: must export its table, {@code __stack_pointer} and
     *     an allocator ({@code calloc}, {@code malloc} or {@code emscripten_builtin_memalign})
     * @param hostImports host functions for side-module imports main does not export
     */
    public DynamicLinker(Instance main, HostImportResolver hostImports) {
        this(builder(main).withHostImports(hostImports));
    }

    private DynamicLinker(Builder b) {
        this.main = b.main;
        this.memory = Objects.requireNonNull(main.memory(), "main instance has no memory");
        this.table = HostFunctionTable.mainTable(main);
        this.types = TypeRegistry.of(main);
        this.hostImports = b.hostImports;
        this.machineFactory = b.machineFactory;
        this.locator = b.locator;
        this.propagate = b.propagate;
        this.undefinedFunctions = b.undefinedFunctions;
        this.rewriteTypes = b.rewriteTypes;

        ExportSection exports = main.module().exportSection();
        for (int i = 0; i < exports.exportCount(); i++) {
            Export e = exports.getExport(i);
            mainExports.put(e.name(), e);
        }
        // A relocatable main module (PGlite 0.4.x) imports __stack_pointer and __memory_base instead of
        // exporting them, and its exported data addresses are relative to that base (the glue's relocateExports).
        Export sp = mainExports.get("__stack_pointer");
        GlobalInstance importedSp = mainImportedGlobal(main, "env", "__stack_pointer");
        if (sp != null && sp.exportType() == ExternalType.GLOBAL) {
            this.stackPointer = main.global(sp.index());
        } else if (importedSp != null) {
            this.stackPointer = importedSp;
        } else {
            throw new IllegalArgumentException("main instance neither exports nor imports __stack_pointer");
        }
        GlobalInstance base = mainImportedGlobal(main, "env", "__memory_base");
        this.mainMemoryBase = base == null ? 0 : (int) base.getValue();

        ImportSection imports = main.module().importSection();
        int funcIdx = 0;
        for (int i = 0; i < imports.importCount(); i++) {
            Import imp = imports.getImport(i);
            if (imp.importType() == ExternalType.FUNCTION) {
                mainImportFunctions.putIfAbsent(imp.module() + "." + imp.name(), funcIdx);
                mainImportFunctions.putIfAbsent(imp.name(), funcIdx);
                funcIdx++;
            }
        }
    }

    /**
     * @param main the main (pglite) instance
     * @return a builder for a linker attached to {@code main}
     */
    public static Builder builder(Instance main) {
        return new Builder(main);
    }

    /** Options of a {@link DynamicLinker}. */
    public static final class Builder {
        private final Instance main;
        private HostImportResolver hostImports = HostImportResolver.none();
        private SideModuleMachineFactory machineFactory = SideModuleMachineFactory.INTERPRETER;
        private LibraryLocator locator = LibraryLocator.NONE;
        private UndefinedFunctionHandler undefinedFunctions = UndefinedFunctionHandler.THROW;
        private Predicate<Throwable> propagate = t -> t instanceof ChicoryInterruptedException;
        private boolean rewriteTypes = true;

        private Builder(Instance main) {
            this.main = Objects.requireNonNull(main, "main");
        }

        /**
         * @param resolver host functions for imports main does not export (invoke_*, tempRet0...)
         * @return this
         */
        public Builder withHostImports(HostImportResolver resolver) {
            this.hostImports = Objects.requireNonNull(resolver, "resolver");
            return this;
        }

        /**
         * @param factory how side-module code runs (default: interpreter)
         * @return this
         */
        public Builder withMachineFactory(SideModuleMachineFactory factory) {
            this.machineFactory = Objects.requireNonNull(factory, "factory");
            return this;
        }

        /**
         * @param locator source of library bytes when {@code dlopen} did not read the file, and
         *     for libraries listed as needed
         * @return this
         */
        public Builder withLibraryLocator(LibraryLocator locator) {
            this.locator = Objects.requireNonNull(locator, "locator");
            return this;
        }

        /**
         * @param handler what a call to a function no loaded module defines does (default: throw a
         *     {@link DynamicLinkException})
         * @return this
         */
        public Builder withUndefinedFunctionHandler(UndefinedFunctionHandler handler) {
            this.undefinedFunctions = Objects.requireNonNull(handler, "handler");
            return this;
        }

        /**
         * Exceptions for which {@link #dlopenJs} must not turn into a {@code dlerror}, e.g. the
         * host's exit/unwind exceptions. Thread interruption always propagates.
         *
         * @param propagate predicate selecting exceptions to rethrow
         * @return this
         */
        public Builder withPropagatedExceptions(Predicate<Throwable> propagate) {
            Objects.requireNonNull(propagate, "propagate");
            this.propagate = t -> t instanceof ChicoryInterruptedException || propagate.test(t);
            return this;
        }

        /** Test hook: disable the type-prefix rewrite to demonstrate the Chicory bug. */
        Builder withTypeRewrite(boolean rewrite) {
            this.rewriteTypes = rewrite;
            return this;
        }

        /** @return the linker */
        public DynamicLinker build() {
            return new DynamicLinker(this);
        }
    }

    /**
     * Host functions for main's {@code env._dlopen_js} and {@code env._dlsym_js} imports. Main has
     * to be instantiated with them before a linker can exist, hence the supplier.
     *
     * @param linker supplies the linker once main is instantiated
     * @return the two host functions
     */
    public static List<HostFunction> importFunctions(Supplier<DynamicLinker> linker) {
        Objects.requireNonNull(linker, "linker");
        return List.of(
                new HostFunction(
                        "env",
                        "_dlopen_js",
                        FunctionType.of(List.of(ValType.I32), List.of(ValType.I32)),
                        (inst, args) -> new long[] {linker.get().dlopenJs((int) args[0])}),
                new HostFunction(
                        "env",
                        "_dlsym_js",
                        FunctionType.of(
                                List.of(ValType.I32, ValType.I32, ValType.I32), List.of(ValType.I32)),
                        (inst, args) ->
                                new long[] {
                                    linker.get()
                                            .dlsymJs((int) args[0], (int) args[1], (int) args[2])
                                }));
    }

    /** @return the main instance */
    public Instance main() {
        return main;
    }

    /** @return the type index space shared with main */
    public TypeRegistry types() {
        return types;
    }

    /**
     * Loads (or returns the already loaded) library from Java, with {@code RTLD_GLOBAL}
     * semantics, e.g. to preload extension libraries before the backend starts.
     *
     * @param path the path the backend will later {@code dlopen} it under
     * @param bytes the library file
     * @return the library
     * @throws DynamicLinkException if it cannot be loaded
     */
    public synchronized LoadedLibrary load(String path, byte[] bytes) {
        String key = normalize(path);
        LoadedLibrary lib = byPath.get(key);
        if (lib != null) {
            lib.markGlobal();
            return lib;
        }
        return loadNew(key, Objects.requireNonNull(bytes, "bytes"), true, 0);
    }

    /**
     * Implements the {@code _dlopen_js(handle)} import: loads the library described by the handle
     * struct C filled in, writes base addresses back into it, and returns 1; on failure passes a
     * message to main's {@code __dl_seterr} and returns 0.
     *
     * @param handle address of the handle struct (see the {@code HANDLE_*} offsets)
     * @return 1 on success, 0 on failure
     */
    public synchronized int dlopenJs(int handle) {
        String path = "<unknown>";
        try {
            path = normalize(memory.readCString(handle + HANDLE_NAME));
            int flags = memory.readInt(handle + HANDLE_FLAGS);
            boolean global = (flags & RTLD_GLOBAL) != 0;
            LoadedLibrary lib = byPath.get(path);
            if (lib == null) {
                int data = memory.readInt(handle + HANDLE_FILE_DATA);
                int size = memory.readInt(handle + HANDLE_FILE_SIZE);
                byte[] bytes;
                if (data != 0 && size > 0) {
                    bytes = memory.readBytes(data, size);
                } else {
                    String p = path;
                    bytes =
                            locator.find(path)
                                    .orElseThrow(
                                            () -> new DynamicLinkException(p + ": file not found"));
                }
                loadNew(path, bytes, global, handle);
            } else {
                if (global) {
                    lib.markGlobal();
                }
                byHandle.put(handle, lib);
                writeHandle(handle, lib.memoryBase(), lib.memorySize(), lib.tableBase(), lib.tableSize());
            }
            return 1;
        } catch (RuntimeException e) {
            if (propagate.test(e)) {
                throw e;
            }
            String msg = "could not load dynamic lib: " + path + "\n" + describe(e);
            LOG.warn("dlopen {} failed: {}", path, describe(e));
            LOG.debug("dlopen {} failure detail", path, e);
            setError(msg);
            return 0;
        }
    }

    /**
     * Implements the {@code _dlsym_js(handle, symbol, symbolIndex*)} import: a table index for a
     * function (a new slot is added, and the export's position written to {@code symbolIndexPtr},
     * only when the function is not in the table yet), the address of a data symbol, or 0 after
     * {@code __dl_seterr} when the symbol is absent. Handle 0 means main plus global libraries.
     *
     * @param handle library handle from {@code dlopen}, or 0
     * @param symbolPtr NUL-terminated symbol name
     * @param symbolIndexPtr where to store the export position of a newly added function
     * @return table index, address, or 0
     */
    public synchronized int dlsymJs(int handle, int symbolPtr, int symbolIndexPtr) {
        String name = "<unknown>";
        try {
            name = memory.readCString(symbolPtr);
            if (handle == 0) {
                Symbol s = resolveGlobal(name);
                if (s == null) {
                    setError(unknownSymbol(name, "__main__"));
                    return 0;
                }
                return symbolValue(s);
            }
            LoadedLibrary lib = byHandle.get(handle);
            if (lib == null) {
                setError("dlsym: invalid library handle " + handle);
                return 0;
            }
            Integer funcIdx = lib.functionExports().get(name);
            if (funcIdx != null) {
                Integer existing = existingSlot(lib.instance(), funcIdx);
                if (existing != null) {
                    return existing;
                }
                int slot = slotFor(lib.instance(), funcIdx);
                if (symbolIndexPtr != 0) {
                    memory.writeI32(symbolIndexPtr, lib.exportPosition(name));
                }
                return slot;
            }
            Integer address = lib.dataExports().get(name);
            if (address != null) {
                return address;
            }
            setError(unknownSymbol(name, lib.path()));
            return 0;
        } catch (RuntimeException e) {
            if (propagate.test(e)) {
                throw e;
            }
            LOG.warn("dlsym {} failed: {}", name, describe(e));
            LOG.debug("dlsym {} failure detail", name, e);
            setError("dlsym failed for \"" + name + "\": " + describe(e));
            return 0;
        }
    }

    /**
     * @param path library path (normalised before lookup)
     * @return the library if loaded
     */
    public synchronized Optional<LoadedLibrary> library(String path) {
        return Optional.ofNullable(byPath.get(normalize(path)));
    }

    /** @return loaded libraries in load order */
    public synchronized List<LoadedLibrary> libraries() {
        return List.copyOf(byPath.values());
    }

    /**
     * @param symbol symbol name
     * @return the GOT entry's value (table index or address; -1 while unresolved), if the GOT has
     *     an entry for {@code symbol}
     */
    public synchronized OptionalInt gotValue(String symbol) {
        GlobalInstance g = got.get(symbol);
        return g == null ? OptionalInt.empty() : OptionalInt.of((int) g.getValue());
    }

    /**
     * Table index of a function, reusing a slot that already holds it or appending one (the glue's
     * {@code addFunction} for wasm functions).
     *
     * @param owner instance owning the function (main or a side module)
     * @param funcIdx function index inside {@code owner}
     * @return the table index
     */
    public synchronized int tableIndexOf(Instance owner, int funcIdx) {
        return slotFor(owner, funcIdx);
    }

    synchronized OptionalInt symbolOf(LoadedLibrary lib, String name) {
        Symbol s = librarySymbol(lib, name);
        return s == null ? OptionalInt.empty() : OptionalInt.of(symbolValue(s));
    }

    // ---------------------------------------------------------------- loading

    private LoadedLibrary loadNew(String key, byte[] bytes, boolean global, int handle) {
        if (loading.contains(key)) {
            throw new DynamicLinkException(key + ": circular dependency via " + loading);
        }
        loading.push(key);
        try {
            return doLoad(key, bytes, global, handle);
        } finally {
            loading.pop();
        }
    }

    private LoadedLibrary doLoad(String key, byte[] bytes, boolean global, int handle) {
        long t0 = System.nanoTime();
        DylinkInfo info = DylinkInfo.parse(bytes);
        if (!info.tlsExports().isEmpty()) {
            LOG.warn("{}: thread-local exports are not relocated: {}", key, info.tlsExports());
        }
        loadNeeded(key, info, global);

        WasmModule module;
        try {
            module = rewriteTypes ? ParsedSideModules.rewriteAndParse(bytes, types) : Parser.parse(bytes);
        } catch (ChicoryException e) {
            throw new DynamicLinkException(key + ": invalid wasm module: " + e.getMessage(), e);
        }
        long tParsed = System.nanoTime();

        Set<String> ownExports = new HashSet<>();
        ExportSection exportSection = module.exportSection();
        for (int i = 0; i < exportSection.exportCount(); i++) {
            ownExports.add(exportSection.getExport(i).name());
        }

        int memoryBase = allocate(key, info);
        int tableBase = info.tableSize() > 0 ? table.size() : 0;
        if (handle != 0) {
            writeHandle(handle, memoryBase, info.memorySize(), tableBase, info.tableSize());
        }
        if (info.tableSize() > 0 && table.grow(info.tableSize(), Value.REF_NULL_VALUE, null) < 0) {
            throw new DynamicLinkException(
                    key + ": function table cannot grow by " + info.tableSize());
        }

        LoadedLibrary lib = new LoadedLibrary(this, key, info, memoryBase, tableBase, global);
        List<String> gotImports = new ArrayList<>();
        List<GlobalInstance> assigned = new ArrayList<>();
        Instance instance;
        try {
            ImportValues imports = linkImports(module, lib, ownExports, gotImports, assigned);
            instance =
                    Instance.builder(module)
                            .withImportValues(imports)
                            .withMachineFactory(machineFactory.forModule(module))
                            .build();
        } catch (ChicoryException e) {
            resetGot(assigned);
            throw new DynamicLinkException(key + ": instantiation failed: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            resetGot(assigned);
            throw e;
        }
        lib.attach(instance);
        long tInstantiated = System.nanoTime();

        // The element segment filled [tableBase, tableBase + tableSize) with functions owned by the
        // new instance; remember them so GOT entries and dlsym reuse those slots (glue:
        // updateTableMap) instead of appending duplicates.
        Map<Integer, Integer> own = slots.computeIfAbsent(instance, k -> new HashMap<>());
        for (int s = tableBase; s < tableBase + info.tableSize(); s++) {
            int ref = table.ref(s);
            if (ref != Value.REF_NULL_VALUE && table.instance(s) == instance) {
                own.putIfAbsent(ref, s);
            }
        }

        try {
            collectExports(module, instance, lib);
            updateGot(lib, assigned);
            resolvePendingGot(lib, gotImports);
            byPath.put(key, lib);
            if (handle != 0) {
                byHandle.put(handle, lib);
            }
            runInitializer(lib, "__wasm_apply_data_relocs");
            runInitializer(lib, "__wasm_call_ctors");
        } catch (RuntimeException e) {
            byPath.remove(key);
            if (handle != 0) {
                byHandle.remove(handle);
            }
            slots.remove(instance);
            resetGot(assigned);
            throw e;
        }
        long t1 = System.nanoTime();
        lib.loadNanos(t1 - t0);
        LOG.debug(
                "loaded {}: memoryBase={} ({} bytes), tableBase={} ({} slots); rewrite+parse {} ms,"
                        + " instantiate {} ms, link+init {} ms",
                key,
                memoryBase,
                info.memorySize(),
                tableBase,
                info.tableSize(),
                (tParsed - t0) / 1_000_000.0,
                (tInstantiated - tParsed) / 1_000_000.0,
                (t1 - tInstantiated) / 1_000_000.0);
        return lib;
    }

    private void loadNeeded(String key, DylinkInfo info, boolean global) {
        for (String needed : info.neededLibraries()) {
            if (findLoaded(needed) != null) {
                continue;
            }
            String parent = parentDir(key);
            List<String> candidates = new ArrayList<>();
            candidates.add(needed.contains("/") ? normalize(needed) : needed);
            if (!needed.contains("/")) {
                for (String rp : info.runtimePaths()) {
                    candidates.add(normalize(rp.replace("$ORIGIN", parent) + "/" + needed));
                }
                candidates.add(normalize(parent + "/" + needed));
            }
            boolean done = false;
            for (String c : candidates) {
                Optional<byte[]> b = locator.find(c);
                if (b.isPresent()) {
                    String path = c.startsWith("/") ? c : normalize(parent + "/" + c);
                    LoadedLibrary existing = byPath.get(path);
                    if (existing == null) {
                        loadNew(path, b.get(), global, 0);
                    }
                    done = true;
                    break;
                }
            }
            if (!done) {
                throw new DynamicLinkException(
                        key + ": needed library " + needed + " not found (tried " + candidates + ")");
            }
        }
    }

    private LoadedLibrary findLoaded(String needed) {
        LoadedLibrary lib = byPath.get(normalize(needed));
        if (lib != null) {
            return lib;
        }
        for (LoadedLibrary l : byPath.values()) {
            if (baseName(l.path()).equals(baseName(needed))) {
                return l;
            }
        }
        return null;
    }

    private int allocate(String key, DylinkInfo info) {
        if (info.memorySize() == 0) {
            return 0;
        }
        int align = 1 << info.memoryAlign();
        long size = (long) info.memorySize() + align;
        if (size > Integer.MAX_VALUE) {
            throw new DynamicLinkException(key + ": implausible memory size " + info.memorySize());
        }
        int ptr;
        if (mainExports.containsKey("calloc")) {
            ptr = callMainExport("calloc", size, 1);
        } else if (mainExports.containsKey("malloc")) {
            ptr = callMainExport("malloc", size);
            zero(ptr, (int) size);
        } else if (mainExports.containsKey("emscripten_builtin_memalign")) {
            ptr = callMainExport("emscripten_builtin_memalign", align, size);
            zero(ptr, (int) size);
        } else {
            throw new DynamicLinkException(
                    key + ": main exports no allocator (calloc, malloc, emscripten_builtin_memalign)");
        }
        if (ptr == 0) {
            throw new DynamicLinkException(key + ": out of memory reserving " + size + " bytes");
        }
        // Same as the glue: over-allocate by the alignment and round the pointer up.
        return (int) (((long) ptr + align - 1) & -(long) align);
    }

    private void zero(int ptr, int size) {
        if (ptr != 0) {
            memory.fill((byte) 0, ptr, ptr + size);
        }
    }

    private int callMainExport(String name, long... args) {
        long[] r = main.getMachine().call(mainExports.get(name).index(), args);
        return r == null || r.length == 0 ? 0 : (int) r[0];
    }

    private void writeHandle(int handle, int memoryBase, int memorySize, int tableBase, int tableSize) {
        memory.writeByte(handle + HANDLE_LOADED, (byte) 1);
        memory.writeI32(handle + HANDLE_MEMORY_BASE, memoryBase);
        memory.writeI32(handle + HANDLE_MEMORY_SIZE, memorySize);
        memory.writeI32(handle + HANDLE_TABLE_BASE, tableBase);
        memory.writeI32(handle + HANDLE_TABLE_SIZE, tableSize);
    }

    private void runInitializer(LoadedLibrary lib, String name) {
        Integer idx = lib.functionExports().get(name);
        if (idx == null) {
            return;
        }
        try {
            lib.instance().getMachine().call(idx, new long[0]);
        } catch (ChicoryException e) {
            throw new DynamicLinkException(lib.path() + ": " + name + " failed: " + e.getMessage(), e);
        }
    }

    // ---------------------------------------------------------------- imports

    private ImportValues linkImports(
            WasmModule module,
            LoadedLibrary lib,
            Set<String> ownExports,
            List<String> gotImports,
            List<GlobalInstance> assigned) {
        ImportValues.Builder b = ImportValues.builder();
        ImportSection section = module.importSection();
        for (int i = 0; i < section.importCount(); i++) {
            Import imp = section.getImport(i);
            String mod = imp.module();
            String name = imp.name();
            switch (imp.importType()) {
                case FUNCTION:
                    b.addFunction(linkFunction(module, (FunctionImport) imp, lib));
                    break;
                case GLOBAL:
                    b.addGlobal(linkGlobal((GlobalImport) imp, lib, ownExports, gotImports, assigned));
                    break;
                case MEMORY:
                    if (!("env".equals(mod) && "memory".equals(name))) {
                        throw unresolvedImport(lib, imp);
                    }
                    b.addMemory(new ImportMemory(mod, name, memory));
                    break;
                case TABLE:
                    if (!("env".equals(mod) && "__indirect_function_table".equals(name))) {
                        throw unresolvedImport(lib, imp);
                    }
                    b.addTable(new ImportTable(mod, name, table));
                    break;
                case TAG:
                    {
                        Export e = mainExports.get(name);
                        if (!"env".equals(mod) || e == null || e.exportType() != ExternalType.TAG) {
                            throw unresolvedImport(lib, imp);
                        }
                        b.addTag(new ImportTag(mod, name, main.tag(e.index())));
                        break;
                    }
                default:
                    throw unresolvedImport(lib, imp);
            }
        }
        return b.build();
    }

    private ImportFunction linkFunction(WasmModule module, FunctionImport imp, LoadedLibrary lib) {
        String mod = imp.module();
        String name = imp.name();
        FunctionType type = module.typeSection().getType(imp.typeIndex());
        // The glue serves env and wasi_snapshot_preview1 from one symbol table.
        boolean emscripten = "env".equals(mod) || "wasi_snapshot_preview1".equals(mod);

        if (emscripten) {
            Export e = mainExports.get(name);
            if (e != null && e.exportType() == ExternalType.FUNCTION) {
                checkSignature(lib, name, type, main.type(main.functionType(e.index())), "main");
                return forward(mod, name, type, main, e.index());
            }
        }
        Optional<ImportFunction> host = hostImports.resolve(mod, name, type);
        if (host.isPresent()) {
            ImportFunction f = host.get();
            checkSignature(lib, name, type, f.functionType(), "host resolver");
            WasmFunctionHandle h = f.handle();
            return new ImportFunction(mod, name, type, (inst, args) -> h.apply(main, args));
        }
        if (emscripten) {
            Integer mi = mainImportFunctions.get(mod + "." + name);
            if (mi == null) {
                mi = mainImportFunctions.get(name);
            }
            if (mi != null) {
                ImportFunction f = main.imports().function(mi);
                checkSignature(lib, name, type, main.type(main.functionType(mi)), "main import");
                WasmFunctionHandle h = f.handle();
                return new ImportFunction(mod, name, type, (inst, args) -> h.apply(main, args));
            }
            String alias = MAIN_ALIASES.get(name);
            Export aliased = alias == null ? null : mainExports.get(alias);
            if (aliased != null && aliased.exportType() == ExternalType.FUNCTION) {
                checkSignature(lib, name, type, main.type(main.functionType(aliased.index())), alias);
                return forward(mod, name, type, main, aliased.index());
            }
            for (LoadedLibrary other : byPath.values()) {
                Integer idx = other.isGlobal() ? other.functionExports().get(name) : null;
                if (idx != null) {
                    Instance owner = other.instance();
                    checkSignature(
                            lib, name, type, owner.type(owner.functionType(idx)), other.path());
                    return forward(mod, name, type, owner, idx);
                }
            }
            return new ImportFunction(mod, name, type, lazyStub(lib, name, type));
        }
        throw unresolvedImport(lib, imp);
    }

    private static ImportFunction forward(
            String mod, String name, FunctionType type, Instance owner, int funcIdx) {
        // Straight into the owner's machine: ExportFunction would also run a GC safe point, which
        // is only meant for an empty wasm stack.
        return new ImportFunction(
                mod, name, type, (inst, args) -> owner.getMachine().call(funcIdx, args));
    }

    private WasmFunctionHandle lazyStub(LoadedLibrary lib, String name, FunctionType type) {
        return new WasmFunctionHandle() {
            private volatile Symbol target;

            @Override
            public long[] apply(Instance inst, long... args) {
                Symbol t = target;
                if (t == null) {
                    t = resolveLate(lib, name);
                    if (t == null || !t.isFunction()) {
                        return undefinedFunctions.call(name, lib.path(), inst, args);
                    }
                    FunctionType actual = t.owner().type(t.owner().functionType(t.funcIdx()));
                    if (!actual.equals(type)) {
                        throw new DynamicLinkException(
                                "signature mismatch for "
                                        + name
                                        + " called from "
                                        + lib.path()
                                        + ": expects "
                                        + type
                                        + ", found "
                                        + actual);
                    }
                    target = t;
                }
                return t.owner().getMachine().call(t.funcIdx(), args);
            }
        };
    }

    private synchronized Symbol resolveLate(LoadedLibrary lib, String name) {
        Symbol s = resolveGlobal(name);
        if (s == null && lib.instance() != null) {
            s = librarySymbol(lib, name);
        }
        return s;
    }

    private ImportGlobal linkGlobal(
            GlobalImport imp,
            LoadedLibrary lib,
            Set<String> ownExports,
            List<String> gotImports,
            List<GlobalInstance> assigned) {
        String mod = imp.module();
        String name = imp.name();
        boolean mutable = imp.mutabilityType() == MutabilityType.Var;
        if ("GOT.mem".equals(mod) || "GOT.func".equals(mod)) {
            if (!imp.type().equals(ValType.I32)) {
                throw new DynamicLinkException(
                        lib.path() + ": " + mod + "." + name + " is not an i32 global");
            }
            GlobalInstance entry = got.get(name);
            if (entry == null) {
                entry = new GlobalInstance(Value.i32(UNRESOLVED), MutabilityType.Var);
                got.put(name, entry);
                assigned.add(entry);
            }
            if (isUnresolved(entry)) {
                Symbol s = resolveGlobal(name);
                if (s != null) {
                    entry.setValue(symbolValue(s));
                    assigned.add(entry);
                } else if (!ownExports.contains(name)) {
                    if (lib.dylinkInfo().weakImports().contains(name)) {
                        entry.setValue(0);
                        assigned.add(entry);
                    } else {
                        throw new DynamicLinkException(
                                "undefined symbol: " + name + " (" + mod + " import of " + lib.path() + ")");
                    }
                }
            }
            gotImports.add(name);
            if (!mutable) {
                if (isUnresolved(entry)) {
                    throw new DynamicLinkException(
                            lib.path() + ": immutable " + mod + "." + name + " cannot refer to its own export");
                }
                return new ImportGlobal(mod, name, constI32((int) entry.getValue()));
            }
            return new ImportGlobal(mod, name, entry);
        }
        if ("env".equals(mod)) {
            switch (name) {
                case "__memory_base":
                    return new ImportGlobal(mod, name, constI32(lib.memoryBase()));
                case "__table_base":
                    return new ImportGlobal(mod, name, constI32(lib.tableBase()));
                case "__stack_pointer":
                    return new ImportGlobal(mod, name, stackPointer);
                default:
                    Export e = mainExports.get(name);
                    if (e != null && e.exportType() == ExternalType.GLOBAL) {
                        GlobalInstance g = main.global(e.index());
                        if (mutable) {
                            return new ImportGlobal(mod, name, g);
                        }
                        return new ImportGlobal(
                                mod,
                                name,
                                new GlobalInstance(
                                        g.getValueLow(), g.getValueHigh(), g.getType(), MutabilityType.Const));
                    }
            }
        }
        throw unresolvedImport(lib, imp);
    }

    /** The global main imports as {@code module.name} (imported globals come first in its index space). */
    private static GlobalInstance mainImportedGlobal(Instance main, String module, String name) {
        ImportSection imports = main.module().importSection();
        int globalIdx = 0;
        for (int i = 0; i < imports.importCount(); i++) {
            Import imp = imports.getImport(i);
            if (imp.importType() == ExternalType.GLOBAL) {
                if (imp.module().equals(module) && imp.name().equals(name)) {
                    return main.global(globalIdx);
                }
                globalIdx++;
            }
        }
        return null;
    }

    private static GlobalInstance constI32(int value) {
        return new GlobalInstance(Value.i32(value), MutabilityType.Const);
    }

    private static boolean isUnresolved(GlobalInstance g) {
        return (int) g.getValue() == UNRESOLVED;
    }

    private static void checkSignature(
            LoadedLibrary lib, String name, FunctionType expected, FunctionType actual, String from) {
        if (!expected.equals(actual)) {
            throw new DynamicLinkException(
                    lib.path()
                            + ": signature mismatch for "
                            + name
                            + ": the library expects "
                            + expected
                            + ", "
                            + from
                            + " provides "
                            + actual);
        }
    }

    private static DynamicLinkException unresolvedImport(LoadedLibrary lib, Import imp) {
        return new DynamicLinkException(
                lib.path()
                        + ": cannot resolve "
                        + imp.importType().name().toLowerCase(java.util.Locale.ROOT)
                        + " import "
                        + imp.module()
                        + "."
                        + imp.name());
    }

    // ---------------------------------------------------------------- exports and GOT

    private static void collectExports(WasmModule module, Instance instance, LoadedLibrary lib) {
        ExportSection section = module.exportSection();
        for (int i = 0; i < section.exportCount(); i++) {
            Export e = section.getExport(i);
            if (e.exportType() == ExternalType.FUNCTION) {
                lib.addFunctionExport(e.name(), e.index(), i);
            } else if (e.exportType() == ExternalType.GLOBAL) {
                GlobalInstance g = instance.global(e.index());
                // Immutable i32 exports are data addresses relative to __memory_base (glue:
                // relocateExports); mutable globals are not symbols.
                if (g.getMutabilityType() == MutabilityType.Const && g.getType().equals(ValType.I32)) {
                    lib.addDataExport(e.name(), (int) g.getValue() + lib.memoryBase(), i);
                }
            }
        }
    }

    private void updateGot(LoadedLibrary lib, List<GlobalInstance> assigned) {
        for (String name : lib.exportNames()) {
            if (isInternal(name)) {
                continue;
            }
            GlobalInstance entry = got.get(name);
            if (entry != null && !isUnresolved(entry)) {
                continue; // first definition wins, as in the glue's updateGOT
            }
            Symbol s = librarySymbol(lib, name);
            if (s == null) {
                continue;
            }
            if (entry == null) {
                entry = new GlobalInstance(Value.i32(UNRESOLVED), MutabilityType.Var);
                got.put(name, entry);
            }
            entry.setValue(symbolValue(s));
            assigned.add(entry);
        }
    }

    private void resolvePendingGot(LoadedLibrary lib, List<String> gotImports) {
        Set<String> mine = new HashSet<>(gotImports);
        for (Map.Entry<String, GlobalInstance> e : got.entrySet()) {
            if (!isUnresolved(e.getValue())) {
                continue;
            }
            Symbol s = resolveGlobal(e.getKey());
            if (s != null) {
                e.getValue().setValue(symbolValue(s));
            } else if (mine.contains(e.getKey())) {
                if (lib.dylinkInfo().weakImports().contains(e.getKey())) {
                    e.getValue().setValue(0);
                } else {
                    throw new DynamicLinkException(
                            "undefined symbol: " + e.getKey() + " (GOT import of " + lib.path() + ")");
                }
            }
        }
    }

    /**
     * Undoes the GOT changes of a failed load: entries it filled go back to unresolved, and
     * placeholders nobody else can have seen (still unresolved) are dropped.
     */
    private void resetGot(List<GlobalInstance> assigned) {
        Set<GlobalInstance> touched = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        touched.addAll(assigned);
        for (GlobalInstance g : touched) {
            g.setValue(UNRESOLVED);
        }
        got.values().removeIf(g -> touched.contains(g) && isUnresolved(g) && !referencedByLoaded(g));
    }

    private boolean referencedByLoaded(GlobalInstance g) {
        for (LoadedLibrary lib : byPath.values()) {
            var imports = lib.instance().imports();
            for (int i = 0; i < imports.globalCount(); i++) {
                if (imports.global(i).instance() == g) {
                    return true;
                }
            }
        }
        return false;
    }

    private static boolean isInternal(String name) {
        return INTERNAL_SYMBOLS.contains(name) || name.startsWith("__em_js__");
    }

    /** A function (owner + index) or a data address. */
    private record Symbol(Instance owner, int funcIdx, int address) {
        boolean isFunction() {
            return owner != null;
        }
    }

    private Symbol resolveGlobal(String name) {
        Symbol s = mainSymbol(name);
        if (s != null) {
            return s;
        }
        for (LoadedLibrary lib : byPath.values()) {
            if (lib.isGlobal()) {
                s = librarySymbol(lib, name);
                if (s != null) {
                    return s;
                }
            }
        }
        return null;
    }

    private Symbol mainSymbol(String name) {
        Export e = mainExports.get(name);
        if (e != null) {
            if (e.exportType() == ExternalType.FUNCTION) {
                return new Symbol(main, e.index(), 0);
            }
            if (e.exportType() == ExternalType.GLOBAL) {
                return new Symbol(null, -1, (int) main.global(e.index()).getValue() + mainMemoryBase);
            }
        }
        Integer imp = mainImportFunctions.get(name);
        if (imp != null) {
            return new Symbol(main, imp, 0);
        }
        return null;
    }

    private static Symbol librarySymbol(LoadedLibrary lib, String name) {
        Integer f = lib.functionExports().get(name);
        if (f != null) {
            return new Symbol(lib.instance(), f, 0);
        }
        Integer a = lib.dataExports().get(name);
        return a == null ? null : new Symbol(null, -1, a);
    }

    private int symbolValue(Symbol s) {
        return s.isFunction() ? slotFor(s.owner(), s.funcIdx()) : s.address();
    }

    // ---------------------------------------------------------------- table slots

    private Integer existingSlot(Instance owner, int funcIdx) {
        Integer slot = slotsOf(owner).get(funcIdx);
        if (slot != null && slot < table.size() && table.ref(slot) == funcIdx && ownerOf(slot) == owner) {
            return slot;
        }
        return null;
    }

    private int slotFor(Instance owner, int funcIdx) {
        Integer existing = existingSlot(owner, funcIdx);
        if (existing != null) {
            return existing;
        }
        int slot = table.grow(1, Value.REF_NULL_VALUE, owner);
        if (slot < 0) {
            throw new DynamicLinkException("function table cannot grow (size " + table.size() + ")");
        }
        table.setRef(slot, funcIdx, owner);
        slotsOf(owner).put(funcIdx, slot);
        return slot;
    }

    private Instance ownerOf(int slot) {
        Instance i = table.instance(slot);
        return i == null ? main : i;
    }

    private Map<Integer, Integer> slotsOf(Instance owner) {
        Map<Integer, Integer> m = slots.computeIfAbsent(owner, k -> new HashMap<>());
        if (owner == main && !mainSlotsScanned) {
            // Main's element segments fill its table at instantiation; index them once so GOT.func
            // of a main function reuses the existing slot (the glue does the same in
            // updateTableMap) instead of adding a second one.
            mainSlotsScanned = true;
            for (int s = 0; s < table.size(); s++) {
                int ref = table.ref(s);
                Instance inst = table.instance(s);
                if (ref != Value.REF_NULL_VALUE && (inst == null || inst == main)) {
                    m.putIfAbsent(ref, s);
                }
            }
        }
        return m;
    }

    // ---------------------------------------------------------------- errors and paths

    private void setError(String message) {
        Export e = mainExports.get("__dl_seterr");
        if (e == null || e.exportType() != ExternalType.FUNCTION) {
            LOG.warn("dlerror (main has no __dl_seterr): {}", message);
            return;
        }
        // __dl_seterr(fmt, va_list) formats with vsnprintf; the glue passes the message as the
        // format, so escape '%' to keep a path or symbol containing it from reading varargs.
        byte[] text = message.replace("%", "%%").getBytes(StandardCharsets.UTF_8);
        int sp = (int) stackPointer.getValue();
        int ptr = (sp - (text.length + 1)) & ~15;
        memory.write(ptr, text);
        memory.writeByte(ptr + text.length, (byte) 0);
        stackPointer.setValue(ptr);
        try {
            main.getMachine().call(e.index(), new long[] {ptr, 0});
        } finally {
            stackPointer.setValue(sp);
        }
    }

    private static String unknownSymbol(String name, String lib) {
        return "Tried to lookup unknown symbol \"" + name + "\" in dynamic lib: " + lib;
    }

    /** Message of an exception and of those causes whose message adds something. */
    private static String describe(Throwable e) {
        StringBuilder sb = new StringBuilder();
        Set<Throwable> seen = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        for (Throwable t = e; t != null && seen.add(t); t = t.getCause()) {
            String m = t.getMessage() == null ? "" : t.getMessage();
            if (sb.length() > 0 && sb.indexOf(m) >= 0) {
                continue;
            }
            if (sb.length() > 0) {
                sb.append(" (caused by ");
            }
            if (!(t instanceof DynamicLinkException)) {
                sb.append(t.getClass().getSimpleName()).append(": ");
            }
            sb.append(m);
            if (t != e) {
                sb.append(')');
            }
        }
        return sb.toString();
    }

    /** POSIX-style normalisation like the glue's {@code PATH.normalize}. */
    static String normalize(String path) {
        Objects.requireNonNull(path, "path");
        boolean absolute = path.startsWith("/");
        Deque<String> parts = new ArrayDeque<>();
        for (String p : path.split("/")) {
            if (p.isEmpty() || p.equals(".")) {
                continue;
            }
            if (p.equals("..")) {
                if (!parts.isEmpty() && !parts.peekLast().equals("..")) {
                    parts.removeLast();
                } else if (!absolute) {
                    parts.addLast(p);
                }
                continue;
            }
            parts.addLast(p);
        }
        String joined = String.join("/", parts);
        if (absolute) {
            return "/" + joined;
        }
        return joined.isEmpty() ? "." : joined;
    }

    private static String parentDir(String path) {
        int i = path.lastIndexOf('/');
        return i <= 0 ? (path.startsWith("/") ? "/" : ".") : path.substring(0, i);
    }

    private static String baseName(String path) {
        int i = path.lastIndexOf('/');
        return i < 0 ? path : path.substring(i + 1);
    }
}
