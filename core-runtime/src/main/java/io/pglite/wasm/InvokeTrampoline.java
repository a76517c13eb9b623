package io.pglite.wasm;

import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.wasm.types.FunctionType;
import java.util.Arrays;

/**
 * The {@code invoke_<signature>} imports through which Emscripten-compiled code makes every call that may
 * {@code longjmp} from inside a function containing {@code setjmp}.
 *
 * <p>One implementation serves all signatures (the module imports about sixty): it takes the table index and
 * arguments, saves the stack pointer, calls the table entry, and on a {@link LongjmpException} restores the
 * stack pointer and records the jump with {@code setThrew(1, 0)}; the wasm caller then checks whether the
 * jump targets one of its own {@code setjmp} buffers. Any other exception (an exit) restores the stack pointer
 * and keeps unwinding, as the glue does.
 */
final class InvokeTrampoline {
    private InvokeTrampoline() {}

    static HostFunction create(EmscriptenProcess process, String module, String name, FunctionType type) {
        int results = type.returns().size();
        long[] zero = results == 0 ? null : new long[results];
        return new HostFunction(module, name, type, (inst, args) -> {
            int sp = process.stackSave();
            try {
                long[] r = process.callTable((int) args[0], Arrays.copyOfRange(args, 1, args.length));
                return results == 0 ? null : r;
            } catch (LongjmpException e) {
                process.stackRestore(sp);
                process.setThrew();
                return zero == null ? null : zero.clone();
            } catch (RuntimeException e) {
                process.stackRestore(sp);
                throw e;
            }
        });
    }
}
