package io.pglite.cluster;

import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.ValType;
import io.pglite.backend.ExternalCommands;
import io.pglite.distribution.Distribution;
import io.pglite.fs.VirtualFileSystem;
import io.pglite.wasm.EmscriptenProcess;
import io.pglite.wasm.dylink.HostFunctionTable;
import io.pglite.wasm.dylink.TypeRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates a PostgreSQL data directory the way PGlite does: {@code initdb.wasm} runs, and each time it would
 * start the {@code postgres} executable ({@code system}/{@code popen}), the host runs {@code main} of a second
 * PGlite instance instead, reset to a pristine memory image first.
 *
 * <p>Protocol between the two: the backend's stdin and stdout are reopened onto {@code /pglite/pgstdin} and
 * {@code /pglite/pgstdout}. For {@code popen(cmd, "r")} (only {@code postgres -V}) the backend runs at once
 * and initdb reads its output from {@code pgstdout}. For {@code popen(cmd, "w")} ({@code --boot} and
 * {@code --single}) initdb writes its script into {@code pgstdin} and the backend runs at {@code pclose}. The
 * backend's file descriptor table deliberately survives the memory resets: the {@code --single} run reads
 * the SQL that initdb appended after the bootstrap script, from where {@code --boot} stopped reading.
 */
final class Initdb {
    private static final Logger LOG = LoggerFactory.getLogger(Initdb.class);

    static final String PG_STDIN = "/pglite/pgstdin";
    static final String PG_STDOUT = "/pglite/pgstdout";
    static final String POSTGRES_PATH = "/pglite/bin/postgres";

    private final Distribution distribution;
    private final ClusterFiles files;
    private final InitdbOptions options;

    private EmscriptenProcess postgres;
    private EmscriptenProcess initdb;
    private Object pristineMemory;
    private int pristineStackPointer;
    private int initdbReadStream;
    private int initdbWriteStream;
    private List<String> pendingArgs;
    private int lastResult;

    Initdb(Distribution distribution, ClusterFiles files, InitdbOptions options) {
        this.distribution = distribution;
        this.files = files;
        this.options = options;
    }

    /** Runs initdb; on success the data directory of {@code files} holds a new cluster. */
    void run() {
        long t0 = System.nanoTime();
        LOG.info("initdb: creating a PostgreSQL {} cluster (user {}, encoding {}, locale {})",
                distribution.postgresVersion(), options.username(), options.encoding(), options.locale());
        VirtualFileSystem backendView = files.newProcessView();
        postgres = ClusterProcesses.postgres(distribution, backendView, files, options.username(),
                "template1", ClusterProcesses.DEFAULT_MEMORY_LIMIT);
        // system/popen replacements: initdb's SQL reads "locale -a"; nothing else may run.
        ExternalCommands.install(postgres);
        pristineMemory = postgres.snapshotMemory();
        pristineStackPointer = postgres.stackSave();

        VirtualFileSystem initdbView = files.newProcessView();
        initdb = EmscriptenProcess.builder(distribution.initdbModule())
                .withMachineFactory(distribution.initdbMachineFactory())
                .withLayout(distribution.initdbLayout())
                .withFiles(initdbView)
                .withProgramPath("/pglite/bin/initdb")
                .withEnvironment(Map.of(
                        "PGDATA", ClusterFiles.PGDATA,
                        "HOME", "/home/postgres",
                        "USER", "postgres",
                        "LOGNAME", "postgres",
                        "ICU_DATA", "/pglite/icu",
                        "TZ", "UTC",
                        "PATH", "/",
                        "LANG", "C.UTF-8"))
                .build();
        installInitdbCallbacks();

        // The backend's stdin/stdout become the two exchange files (seen as dup3 onto fd 0 and 1).
        int sp = postgres.stackSave();
        postgres.call("pgl_freopen", postgres.stringOnStack(PG_STDIN), postgres.stringOnStack("r"), 0);
        postgres.call("pgl_freopen", postgres.stringOnStack(PG_STDOUT), postgres.stringOnStack("w"), 1);
        postgres.stackRestore(sp);

        int isp = initdb.stackSave();
        initdbReadStream = initdb.callInt("fopen", initdb.stringOnStack(PG_STDOUT), initdb.stringOnStack("r"));
        initdbWriteStream = initdb.callInt("fopen", initdb.stringOnStack(PG_STDIN), initdb.stringOnStack("w"));
        initdb.stackRestore(isp);
        if (initdbReadStream == 0 || initdbWriteStream == 0) {
            throw new ClusterException("initdb could not open its exchange files " + PG_STDOUT + " and " + PG_STDIN);
        }

        List<String> args = new ArrayList<>(List.of(
                "--allow-group-access",
                "--encoding", options.encoding(),
                "--locale=" + options.locale(),
                "--locale-provider=libc",
                "--auth=trust",
                "--username=" + options.username()));
        int rc = initdb.callMain(args);
        if (rc == 0) {
            try {
                initdb.call("fflush", 0);
            } catch (RuntimeException ignored) {
                // flushing initdb's own stdout is cosmetic
            }
        }
        if (rc != 0) {
            throw new ClusterException("initdb failed with exit status " + rc
                    + "; its messages are in the log (loggers io.pglite.postgres.stdout and .stderr)");
        }
        LOG.info("initdb: cluster created in {} ms", (System.nanoTime() - t0) / 1_000_000);
    }

    private void installInitdbCallbacks() {
        FunctionType pi = FunctionType.of(List.of(ValType.I32), List.of(ValType.I32));
        FunctionType ppi = FunctionType.of(List.of(ValType.I32, ValType.I32), List.of(ValType.I32));
        HostFunctionTable table = new HostFunctionTable(initdb.table(), TypeRegistry.of(initdb.instance()));
        int[] slots = table.addAll(List.of(
                new HostFunctionTable.Entry("initdb_system", pi, (inst, a) -> {
                    return new long[] {runPostgres(commandArgs(initdb.readCString((int) a[0])))};
                }),
                new HostFunctionTable.Entry("initdb_popen", ppi, (inst, a) -> {
                    List<String> cmd = commandArgs(initdb.readCString((int) a[0]));
                    String mode = initdb.readCString((int) a[1]);
                    if ("r".equals(mode)) {
                        lastResult = runPostgres(cmd);
                        return new long[] {initdbReadStream};
                    }
                    if ("w".equals(mode)) {
                        pendingArgs = cmd;
                        return new long[] {initdbWriteStream};
                    }
                    throw new ClusterException("initdb asked for popen mode '" + mode + "'");
                }),
                new HostFunctionTable.Entry("initdb_pclose", pi, (inst, a) -> {
                    int stream = (int) a[0];
                    if (stream == initdbReadStream || stream == initdbWriteStream) {
                        if (pendingArgs != null) {
                            // The script initdb wrote must be on file before the backend reads it.
                            initdb.call("fflush", stream);
                            List<String> cmd = pendingArgs;
                            pendingArgs = null;
                            lastResult = runPostgres(cmd);
                        }
                        return new long[] {lastResult};
                    }
                    return new long[] {initdb.callInt("pclose", stream)};
                })));
        initdb.call("pgl_set_system_fn", slots[0]);
        initdb.call("pgl_set_popen_fn", slots[1]);
        initdb.call("pgl_set_pclose_fn", slots[2]);
    }

    /** Runs the backend's main on a pristine memory image, as if a new process were started. */
    private int runPostgres(List<String> command) {
        if (command.isEmpty() || !command.get(0).equals(POSTGRES_PATH)) {
            throw new ClusterException("initdb tried to run " + command + ", expected " + POSTGRES_PATH);
        }
        List<String> args = command.subList(1, command.size());
        long t0 = System.nanoTime();
        postgres.restoreMemory(pristineMemory);
        postgres.stackRestore(pristineStackPointer);
        int rc = postgres.callMain(new ArrayList<>(args));
        LOG.info("initdb: postgres {} finished with status {} in {} ms", String.join(" ", args), rc,
                (System.nanoTime() - t0) / 1_000_000);
        return rc;
    }

    /**
     * Splits a shell command line the way initdb builds them: words separated by blanks, with single or
     * double quotes; parsing stops at the first shell operator (redirections are ignored).
     */
    static List<String> commandArgs(String command) {
        List<String> words = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        boolean inWord = false;
        char quote = 0;
        for (int i = 0; i < command.length(); i++) {
            char c = command.charAt(i);
            if (quote != 0) {
                if (c == quote) {
                    quote = 0;
                } else if (c == '\\' && quote == '"' && i + 1 < command.length()) {
                    cur.append(command.charAt(++i));
                } else {
                    cur.append(c);
                }
                continue;
            }
            if (c == '\'' || c == '"') {
                quote = c;
                inWord = true;
            } else if (Character.isWhitespace(c)) {
                if (inWord) {
                    words.add(cur.toString());
                    cur.setLength(0);
                    inWord = false;
                }
            } else if (c == '>' || c == '<' || c == '|' || c == '&' || c == ';') {
                if (inWord && !(c == '>' && cur.toString().matches("\\d"))) {
                    words.add(cur.toString());
                }
                return words;
            } else if (c == '\\' && i + 1 < command.length()) {
                cur.append(command.charAt(++i));
                inWord = true;
            } else {
                cur.append(c);
                inWord = true;
            }
        }
        if (inWord) {
            words.add(cur.toString());
        }
        return words;
    }
}
