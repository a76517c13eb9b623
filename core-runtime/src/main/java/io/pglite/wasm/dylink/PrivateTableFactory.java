package io.pglite.wasm.dylink;

import com.dylibso.chicory.runtime.TableFactory;
import com.dylibso.chicory.runtime.TableInstance;
import com.dylibso.chicory.wasm.types.Table;
import com.dylibso.chicory.wasm.types.TableLimits;

/**
 * A {@link TableFactory} that gives every table instance its own copy of the declared limits.
 *
 * <p>Why: in Chicory 1.7.5 {@code TableInstance.grow} also grows the {@code TableLimits} object of
 * the parsed module's {@code Table}, which every instance of that {@code WasmModule} shares. Each
 * later instance then starts with a table as large as all earlier growth (host functions, side
 * module slots) combined, so a JVM that creates many backends from one parsed module grows the
 * initial table without bound. Pass this factory to {@code Instance.Builder.withTableFactory} for
 * every instance of a shared module to keep the module's limits pristine.
 */
public final class PrivateTableFactory implements TableFactory {

    /** The shared, stateless instance. */
    public static final PrivateTableFactory INSTANCE = new PrivateTableFactory();

    private PrivateTableFactory() {}

    @Override
    public TableInstance create(Table table, int initValue) {
        TableLimits declared = table.limits();
        TableLimits own = new TableLimits(declared.min(), declared.max(), declared.shared());
        return new TableInstance(new Table(table.elementType(), own, table.initialize()), initValue);
    }
}
