package io.pglite.wasm;

import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.wasm.types.MemoryLimits;

/** Creates the linear memories of the processes: {@link PagedMemory}, bounded by the process's limit. */
final class WasmMemories {
    static final int PAGE_SIZE = 65536;

    /** A byte[]-backed memory cannot exceed what one Java array holds. */
    static final long MAX_BYTES = (long) (Integer.MAX_VALUE / PAGE_SIZE) * PAGE_SIZE;

    private WasmMemories() {}

    /**
     * Creates a memory with the module's declared initial size and a maximum of {@code limitBytes}, capped by
     * the module's own maximum and by what a Java array can hold.
     */
    static Memory create(MemoryLimits declared, long limitBytes) {
        MemoryLimits limits = limits(declared, limitBytes);
        // Always paged: snapshots need it, and the compiled code of PGlite's modules is bound to it at build
        // time (MachineAccess).
        return new PagedMemory(limits);
    }

    /** The declared limits with the maximum lowered to {@code limitBytes} (and what a Java array holds). */
    static MemoryLimits limits(MemoryLimits declared, long limitBytes) {
        long max = Math.min(Math.min(limitBytes, MAX_BYTES), (long) declared.maximumPages() * PAGE_SIZE);
        int maxPages = (int) (max / PAGE_SIZE);
        if (maxPages < declared.initialPages()) {
            throw new IllegalArgumentException("memory limit of " + limitBytes + " bytes is below the "
                    + (long) declared.initialPages() * PAGE_SIZE + " bytes the module needs at start");
        }
        return new MemoryLimits(declared.initialPages(), maxPages);
    }
}
