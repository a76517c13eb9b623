package io.pglite.wasm.dylink;

import com.dylibso.chicory.runtime.Instance;

/**
 * What happens when a side module calls a function that no loaded module defines (Emscripten links such
 * imports lazily, so the library loads and only the call fails).
 */
@FunctionalInterface
public interface UndefinedFunctionHandler {

    /** Throws a {@link DynamicLinkException} naming the symbol and the library. */
    UndefinedFunctionHandler THROW = (symbol, library, instance, args) -> {
        throw new DynamicLinkException("undefined symbol: " + symbol + " (called from " + library + ")");
    };

    /**
     * Handles the call; must not return normally unless it can produce the function's results.
     *
     * @param symbol the undefined function's name
     * @param library path of the library that called it
     * @param instance the main instance
     * @param args the call's arguments
     * @return the results
     */
    long[] call(String symbol, String library, Instance instance, long[] args);
}
