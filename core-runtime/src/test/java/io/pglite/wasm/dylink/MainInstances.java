package io.pglite.wasm.dylink;

import com.dylibso.chicory.runtime.GlobalInstance;
import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.ImportGlobal;
import com.dylibso.chicory.runtime.ImportMemory;
import com.dylibso.chicory.runtime.ImportTable;
import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.TableInstance;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.FunctionImport;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.GlobalImport;
import com.dylibso.chicory.wasm.types.Import;
import com.dylibso.chicory.wasm.types.MemoryImport;
import com.dylibso.chicory.wasm.types.MutabilityType;
import com.dylibso.chicory.wasm.types.Table;
import com.dylibso.chicory.wasm.types.TableImport;
import com.dylibso.chicory.wasm.types.Value;
import io.pglite.distribution.Distribution;
import io.pglite.wasm.PagedMemory;
import java.util.Map;

/**
 * pglite.wasm (the packaged, build-time compiled distribution) instantiated with inert host imports (every function
 * import returns zeros), enough to call self-contained exports such as malloc and pg_qsort.
 */
final class MainInstances {
    private MainInstances() {}

    /** The packaged backend module (parsed once per JVM by the distribution). */
    static WasmModule module() {
        return Distribution.pg18().pgliteModule();
    }

    static Instance newInstance() {
        return newInstance(Map.of());
    }

    /**
     * @param overrides host functions by import name, replacing the inert stubs
     */
    static Instance newInstance(Map<String, HostFunction> overrides) {
        return newInstance(overrides, true);
    }

    /**
     * @param overrides host functions by import name, replacing the inert stubs
     * @param privateTable whether to use {@link PrivateTableFactory} (false shows Chicory's
     *     shared-limits behaviour)
     */
    static Instance newInstance(Map<String, HostFunction> overrides, boolean privateTable) {
        WasmModule m = module();
        ImportValues.Builder b = ImportValues.builder();
        for (int i = 0; i < m.importSection().importCount(); i++) {
            Import imp = m.importSection().getImport(i);
            switch (imp.importType()) {
                case FUNCTION:
                    {
                        FunctionType t =
                                m.typeSection().getType(((FunctionImport) imp).typeIndex());
                        HostFunction o = overrides.get(imp.name());
                        if (o != null) {
                            b.addFunction(new HostFunction(imp.module(), imp.name(), t, o.handle()));
                        } else {
                            int n = t.returns().size();
                            b.addFunction(
                                    new HostFunction(
                                            imp.module(), imp.name(), t, (inst, args) -> n == 0 ? null : new long[n]));
                        }
                        break;
                    }
                case MEMORY:
                    b.addMemory(
                            new ImportMemory(
                                    imp.module(),
                                    imp.name(),
                                    new PagedMemory(((MemoryImport) imp).limits())));
                    break;
                case GLOBAL:
                    {
                        GlobalImport g = (GlobalImport) imp;
                        b.addGlobal(
                                new ImportGlobal(
                                        imp.module(),
                                        imp.name(),
                                        new GlobalInstance(0, 0, g.type(), g.mutabilityType())));
                        break;
                    }
                case TABLE:
                    {
                        TableImport t = (TableImport) imp;
                        b.addTable(
                                new ImportTable(
                                        imp.module(),
                                        imp.name(),
                                        new TableInstance(
                                                new Table(t.entryType(), t.limits()),
                                                Value.REF_NULL_VALUE)));
                        break;
                    }
                default:
                    throw new IllegalStateException("unexpected import " + imp);
            }
        }
        Instance.Builder builder =
                Instance.builder(m)
                        .withImportValues(b.build())
                        .withMachineFactory(Distribution.pg18().pgliteMachineFactory());
        if (privateTable) {
            builder.withTableFactory(PrivateTableFactory.INSTANCE);
        }
        return builder.build();
    }

    static int malloc(Instance main, int size) {
        return (int) main.export("malloc").apply(size)[0];
    }

    static int cString(Instance main, String s) {
        byte[] b = s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        int p = malloc(main, b.length + 1);
        main.memory().write(p, b);
        main.memory().writeByte(p + b.length, (byte) 0);
        return p;
    }

    static String dlerror(Instance main) {
        int p = (int) main.export("dlerror").apply()[0];
        return p == 0 ? null : main.memory().readCString(p);
    }
}
