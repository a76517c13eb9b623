package io.pglite.wasm.dylink;

import com.dylibso.chicory.runtime.TableFactory;
import com.dylibso.chicory.runtime.TableInstance;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.Table;
import com.dylibso.chicory.wasm.types.TableLimits;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * A {@link TableFactory} that gives every table instance its own copy of the declared limits.
 *
 * <p>Why: in Chicory 1.7.5 {@code TableInstance.grow} also grows the {@code TableLimits} object of
 * the parsed module's {@code Table}, which every instance of that {@code WasmModule} shares. Each
 * later instance then starts with a table as large as all earlier growth (host functions, side
 * module slots) combined, so a JVM that creates many backends from one parsed module grows the
 * initial table without bound. Pass this factory to {@code Instance.Builder.withTableFactory} for
 * every instance of a shared module to keep the module's limits pristine.
 *
 * <p>Code that instantiates the same parsed module without this factory still grows its limits. So that
 * instances made here do not depend on that history (a started-backend snapshot relies on host callbacks
 * landing in the same table slots in every new instance), {@link #rememberDeclaredLimits} records the limits
 * right after parsing, and {@link #create} uses the recorded ones.
 */
public final class PrivateTableFactory implements TableFactory {

    /** The shared, stateless instance. */
    public static final PrivateTableFactory INSTANCE = new PrivateTableFactory();

    /** Limits of each table as parsed, by identity of the module's (mutable) table. */
    private static final Map<Table, TableLimits> DECLARED = Collections.synchronizedMap(new IdentityHashMap<>());

    private PrivateTableFactory() {}

    /**
     * Records a freshly parsed module's table limits, before any instance can grow them.
     *
     * @param module a module as returned by the parser
     */
    public static void rememberDeclaredLimits(WasmModule module) {
        var tables = module.tableSection();
        for (int i = 0; i < tables.tableCount(); i++) {
            Table t = tables.getTable(i);
            TableLimits l = t.limits();
            DECLARED.putIfAbsent(t, new TableLimits(l.min(), l.max(), l.shared()));
        }
    }

    @Override
    public TableInstance create(Table table, int initValue) {
        TableLimits declared = DECLARED.getOrDefault(table, table.limits());
        TableLimits own = new TableLimits(declared.min(), declared.max(), declared.shared());
        return new TableInstance(new Table(table.elementType(), own, table.initialize()), initValue);
    }
}
