package io.pglite.cluster;

import com.dylibso.chicory.runtime.HostFunction;
import io.pglite.backend.MissingSymbols;
import io.pglite.backend.PostgresErrors;
import io.pglite.distribution.Distribution;
import io.pglite.fs.VirtualFileSystem;
import io.pglite.wasm.DynamicLinking;
import io.pglite.wasm.EmscriptenProcess;
import io.pglite.wasm.ProcessImage;
import io.pglite.wasm.dylink.DynamicLinker;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/** Creates PGlite processes wired the way the upstream glue wires them. */
final class ClusterProcesses {
    /** Default bound of a backend's wasm memory. */
    static final long DEFAULT_MEMORY_LIMIT = 1L << 30;

    private ClusterProcesses() {}

    /**
     * Instantiates {@code pglite.wasm} with its environment and dynamic loading of the distribution's side
     * modules.
     */
    static EmscriptenProcess postgres(Distribution distribution, VirtualFileSystem view, ClusterFiles files,
            String username, String database, long memoryLimit) {
        return postgres(distribution, view, files, username, database, memoryLimit, null);
    }

    /**
     * Like {@link #postgres(Distribution, VirtualFileSystem, ClusterFiles, String, String, long)}, continuing
     * from a captured process image when {@code image} is not null.
     */
    static EmscriptenProcess postgres(Distribution distribution, VirtualFileSystem view, ClusterFiles files,
            String username, String database, long memoryLimit, ProcessImage image) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("USER", "postgres");
        env.put("LOGNAME", "postgres");
        env.put("PATH", "/");
        env.put("PWD", "/");
        env.put("HOME", "/home/postgres");
        env.put("LANG", "en_US.UTF-8");
        env.put("LC_COLLATE", "en_US.UTF-8");
        env.put("LC_CTYPE", "en_US.UTF-8");
        env.put("_", Initdb.POSTGRES_PATH);
        env.put("PGDATA", ClusterFiles.PGDATA);
        env.put("PGUSER", username);
        env.put("PGDATABASE", database);
        env.put("TZ", "UTC");
        env.put("PGTZ", "UTC");
        env.put("PGCLIENTENCODING", "UTF8");
        env.put("ICU_DATA", "/pglite/icu");
        return EmscriptenProcess.builder(distribution.pgliteModule())
                .withMachineFactory(distribution.pgliteMachineFactory())
                .withLayout(distribution.pgliteLayout())
                .withFiles(view)
                .withProgramPath(Initdb.POSTGRES_PATH)
                .withEnvironment(env)
                .withMemoryLimit(memoryLimit)
                .withDynamicLinking(new SideModules())
                .withImage(image)
                .build();
    }

    /**
     * {@code dlopen} for one process: a {@link DynamicLinker} over the process's instance, created on first
     * use (the instance does not exist yet when the imports are built).
     */
    private static final class SideModules implements DynamicLinking {
        private DynamicLinker linker;

        private DynamicLinker linker(EmscriptenProcess p) {
            if (linker == null) {
                linker = DynamicLinker.builder(p.instance())
                        .withHostImports((module, name, type) -> {
                            HostFunction f = p.hostFunction(name, type);
                            if (f == null) {
                                f = MissingSymbols.lookup(p, name, type);
                            }
                            return Optional.ofNullable(f);
                        })
                        // A side module calling a function this build lacks gets an SQL error, not a dead
                        // backend.
                        .withUndefinedFunctionHandler((symbol, library, instance, args) -> {
                            throw PostgresErrors.raise(p, "0A000", "function " + symbol + " is not available in"
                                    + " this PostgreSQL build (needed by " + library + ")");
                        })
                        .withPropagatedExceptions(EmscriptenProcess::isControlFlow)
                        .build();
            }
            return linker;
        }

        @Override
        public int dlopen(EmscriptenProcess process, int handle) {
            return linker(process).dlopenJs(handle);
        }

        @Override
        public int dlsym(EmscriptenProcess process, int handle, int symbol, int symbolIndex) {
            return linker(process).dlsymJs(handle, symbol, symbolIndex);
        }

        @Override
        public int loadedLibraries() {
            return linker == null ? 0 : linker.libraries().size();
        }
    }
}
