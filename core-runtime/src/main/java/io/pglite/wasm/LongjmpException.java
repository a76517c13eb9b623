package io.pglite.wasm;

/**
 * Unwinds the wasm stack for a C {@code longjmp}, the Java counterpart of Emscripten's {@code EmscriptenSjLj}.
 *
 * <p>{@code longjmp} in the module records its target with {@code setThrew} and calls the import
 * {@code _emscripten_throw_longjmp}, which throws this. The nearest {@code invoke_*} trampoline on the stack
 * catches it and lets the wasm code test whether the jump is meant for one of its own {@code setjmp} buffers.
 * One shared instance is enough: the exception carries no data and no stack trace.
 */
final class LongjmpException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    static final LongjmpException INSTANCE = new LongjmpException();

    private LongjmpException() {
        super("longjmp", null, false, false);
    }
}
