package io.pglite.wasm.dylink;

import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.TableInstance;
import com.dylibso.chicory.runtime.WasmFunctionHandle;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.Value;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Puts Java functions into the main instance's function table so that wasm code can call them
 * through {@code call_indirect} (the Java counterpart of Emscripten's {@code addFunction}), e.g. the
 * callbacks handed to {@code pgl_set_rw_cbs}, {@code pgl_set_system_fn}, {@code pgl_set_popen_fn}
 * and {@code pgl_set_pclose_fn}.
 *
 * <p>A Chicory table entry is a function index plus the instance that owns it, and a host function
 * only gets a function index by being imported into some module. So each batch of functions gets a
 * tiny generated helper module that imports them and nothing else; its type section is the main
 * instance's {@link TypeRegistry} (see there for the Chicory type-index check this satisfies). The
 * table is grown by the batch size and each new slot is set to (import index, helper instance); the
 * owner is always set because Chicory treats a null owner as "the calling instance".
 *
 * <p>Thread-safe; one instance per main instance is enough, several are harmless.
 */
public final class HostFunctionTable {
    private static final Logger LOG = LoggerFactory.getLogger(HostFunctionTable.class);

    /** Import module name used inside the generated helper modules (diagnostics only). */
    public static final String HELPER_IMPORT_MODULE = "pglite.host";

    private final TableInstance table;
    private final TypeRegistry types;
    private final List<Instance> helpers = new ArrayList<>();

    /**
     * Uses main's exported {@code __indirect_function_table} (or its table 0).
     *
     * @param main the main (pglite) instance
     */
    public HostFunctionTable(Instance main) {
        this(mainTable(main), TypeRegistry.of(main));
    }

    /**
     * @param table the function table to extend
     * @param types the type index space of the instance(s) calling through {@code table}
     */
    public HostFunctionTable(TableInstance table, TypeRegistry types) {
        this.table = Objects.requireNonNull(table, "table");
        this.types = Objects.requireNonNull(types, "types");
    }

    static TableInstance mainTable(Instance main) {
        Objects.requireNonNull(main, "main");
        boolean exported = false;
        var exports = main.module().exportSection();
        for (int i = 0; i < exports.exportCount(); i++) {
            if (exports.getExport(i).name().equals("__indirect_function_table")) {
                exported = true;
                break;
            }
        }
        return exported ? main.exports().table("__indirect_function_table") : main.table(0);
    }

    /** A host function to place in the table. */
    public record Entry(String name, FunctionType type, WasmFunctionHandle impl) {
        /**
         * @param name diagnostic name (shows up in Chicory error messages)
         * @param type wasm signature callers use in their {@code call_indirect}
         * @param impl the Java implementation
         */
        public Entry {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(type, "type");
            Objects.requireNonNull(impl, "impl");
        }
    }

    /**
     * Adds one host function.
     *
     * @param name diagnostic name
     * @param type wasm signature
     * @param impl implementation
     * @return the table index to hand to wasm code as a function pointer
     */
    public int add(String name, FunctionType type, WasmFunctionHandle impl) {
        return addAll(List.of(new Entry(name, type, impl)))[0];
    }

    /**
     * Adds several host functions with one helper module.
     *
     * @param entries functions to add
     * @return their table indices, in order
     */
    public synchronized int[] addAll(List<Entry> entries) {
        if (entries.isEmpty()) {
            return new int[0];
        }
        int[] typeIdx = new int[entries.size()];
        for (int i = 0; i < entries.size(); i++) {
            typeIdx[i] = types.intern(entries.get(i).type());
        }
        WasmModule module = parseCached(helperModule(entries, typeIdx));
        HostFunction[] fns = new HostFunction[entries.size()];
        for (int i = 0; i < fns.length; i++) {
            Entry e = entries.get(i);
            fns[i] = new HostFunction(HELPER_IMPORT_MODULE, importName(e, i), e.type(), e.impl());
        }
        Instance helper =
                Instance.builder(module)
                        .withImportValues(ImportValues.builder().addFunction(fns).build())
                        .build();
        int base = table.grow(fns.length, Value.REF_NULL_VALUE, helper);
        if (base < 0) {
            throw new IllegalStateException(
                    "function table cannot grow by " + fns.length + " (size " + table.size() + ")");
        }
        int[] slots = new int[fns.length];
        for (int i = 0; i < fns.length; i++) {
            // function index i of the helper is its i-th import, i.e. entries[i]
            table.setRef(base + i, i, helper);
            slots[i] = base + i;
        }
        helpers.add(helper);
        if (LOG.isDebugEnabled()) {
            for (int i = 0; i < slots.length; i++) {
                LOG.debug(
                        "host function {} {} at table index {}",
                        entries.get(i).name(),
                        entries.get(i).type(),
                        slots[i]);
            }
        }
        return slots;
    }

    /**
     * Helper modules by content: every backend of a JVM adds the same callbacks, so the same few modules are
     * parsed once instead of once per backend (parsing a type section of some 240 types is most of the cost
     * of adding callbacks). A parsed module can be instantiated any number of times.
     */
    private static final Map<ByteBuffer, WasmModule> PARSED = new ConcurrentHashMap<>();

    private static WasmModule parseCached(byte[] bytes) {
        ByteBuffer key = ByteBuffer.wrap(bytes);
        WasmModule m = PARSED.get(key);
        if (m == null) {
            m = Parser.parse(bytes);
            if (PARSED.size() > 256) {
                PARSED.clear(); // bounded: type registries of many distinct main instances would not repeat
            }
            PARSED.put(key, m);
        }
        return m;
    }

    /** @return the registry whose indices the helper modules use */
    public TypeRegistry types() {
        return types;
    }

    private static String importName(Entry e, int i) {
        // Unique per helper so Chicory's by-name import matching never confuses two entries.
        return i + ":" + e.name();
    }

    private byte[] helperModule(List<Entry> entries, int[] typeIdx) {
        byte[] typePayload = types.typeSectionPayload();
        ByteWriter imports = new ByteWriter();
        imports.u32(entries.size());
        for (int i = 0; i < entries.size(); i++) {
            imports.name(HELPER_IMPORT_MODULE);
            imports.name(importName(entries.get(i), i));
            imports.u8(0x00); // function import
            imports.u32(typeIdx[i]);
        }
        ByteWriter out = new ByteWriter(typePayload.length + imports.size() + 32);
        out.bytes(new byte[] {0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00});
        out.u8(1).u32(typePayload.length).bytes(typePayload);
        out.section(2, imports);
        return out.toByteArray();
    }
}
