package io.pglite.wasm.dylink;

import com.dylibso.chicory.runtime.ImportFunction;
import com.dylibso.chicory.wasm.types.FunctionType;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Supplies host (Java) implementations for side-module function imports that the main module
 * does not export, e.g. {@code env.invoke_vii}, {@code env.getTempRet0}, {@code env.setTempRet0}.
 *
 * <p>The linker asks the resolver after looking at main's exports and before falling back to the
 * main instance's own imports and to a lazy stub. The returned function's module and name do not
 * need to match the import; its type must equal {@code type} or the load fails.
 */
@FunctionalInterface
public interface HostImportResolver {

    /**
     * @param module import module name ({@code env} or {@code wasi_snapshot_preview1} in practice)
     * @param name import field name
     * @param type the signature the side module expects
     * @return an implementation, or empty when this resolver does not provide {@code name}
     */
    Optional<ImportFunction> resolve(String module, String name, FunctionType type);

    /** @return a resolver that provides nothing */
    static HostImportResolver none() {
        return (module, name, type) -> Optional.empty();
    }

    /**
     * A resolver over a fixed set of functions, matched by name (module ignored, as Emscripten's
     * loader treats {@code env} and {@code wasi_snapshot_preview1} as one namespace).
     *
     * @param functions available host functions
     * @return the resolver
     */
    static HostImportResolver of(Collection<? extends ImportFunction> functions) {
        List<ImportFunction> copy = new ArrayList<>(functions);
        return (module, name, type) -> {
            for (ImportFunction f : copy) {
                if (f.name().equals(name) && f.module().equals(module)) {
                    return Optional.of(f);
                }
            }
            for (ImportFunction f : copy) {
                if (f.name().equals(name)) {
                    return Optional.of(f);
                }
            }
            return Optional.empty();
        };
    }

    /**
     * @param next resolver consulted when this one has no answer
     * @return the combined resolver
     */
    default HostImportResolver orElse(HostImportResolver next) {
        Objects.requireNonNull(next, "next");
        return (module, name, type) -> {
            Optional<ImportFunction> r = resolve(module, name, type);
            return r.isPresent() ? r : next.resolve(module, name, type);
        };
    }
}
