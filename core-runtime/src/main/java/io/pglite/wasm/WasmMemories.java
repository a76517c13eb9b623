package io.pglite.wasm;

import com.dylibso.chicory.runtime.ByteArrayMemory;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.runtime.alloc.ExactMemAllocStrategy;
import com.dylibso.chicory.wasm.types.MemoryLimits;

/** Creates the linear memories the host hands to modules that import theirs. */
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
        long max = Math.min(Math.min(limitBytes, MAX_BYTES), (long) declared.maximumPages() * PAGE_SIZE);
        int maxPages = (int) (max / PAGE_SIZE);
        if (maxPages < declared.initialPages()) {
            throw new IllegalArgumentException("memory limit of " + limitBytes + " bytes is below the "
                    + (long) declared.initialPages() * PAGE_SIZE + " bytes the module needs at start");
        }
        // Exact growth: the wasm heap grows in large steps already (emscripten_resize_heap adds 20%), so
        // the array must not double on top of that.
        return new ByteArrayMemory(new MemoryLimits(declared.initialPages(), maxPages),
                new ExactMemAllocStrategy());
    }
}
