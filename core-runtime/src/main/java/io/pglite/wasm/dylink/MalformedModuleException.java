package io.pglite.wasm.dylink;

/**
 * A wasm binary handed to the dynamic linker could not be decoded (truncated, corrupt, or
 * using an encoding the type rewriter does not know).
 */
public class MalformedModuleException extends DynamicLinkException {
    private static final long serialVersionUID = 1L;

    /**
     * @param message what was wrong and where (byte offset)
     */
    public MalformedModuleException(String message) {
        super(message);
    }
}
