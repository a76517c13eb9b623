package io.pglite.wasm.dylink;

import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.TableInstance;
import java.util.Objects;

/** Calls a function-table entry from Java, the way {@code call_indirect} would. */
public final class IndirectCalls {
    private IndirectCalls() {}

    /**
     * Calls table entry {@code slot} with the owning instance's machine. No signature check is
     * done: the caller must pass arguments matching the entry's type.
     *
     * @param table the function table (pglite's {@code __indirect_function_table})
     * @param defaultOwner instance used when the slot has no recorded owner (Chicory treats a null
     *     owner as the calling instance; for pglite's own elements that is the main instance)
     * @param slot table index
     * @param args raw wasm arguments
     * @return raw results, or null for a function without results
     * @throws com.dylibso.chicory.wasm.ChicoryException if the slot is out of range or empty
     */
    public static long[] call(TableInstance table, Instance defaultOwner, int slot, long... args) {
        Objects.requireNonNull(table, "table");
        int funcIdx = table.requiredRef(slot);
        Instance owner = table.instance(slot);
        if (owner == null) {
            owner = Objects.requireNonNull(defaultOwner, "defaultOwner");
        }
        return owner.getMachine().call(funcIdx, args);
    }
}
