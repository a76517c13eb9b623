package io.pglite.backend;

import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.ValType;
import io.pglite.fs.VirtualFileSystem;
import io.pglite.wasm.EmscriptenProcess;
import io.pglite.wasm.ProcessExitException;
import io.pglite.wasm.ProcessImage;
import io.pglite.wasm.dylink.HostFunctionTable;
import java.io.IOException;
import java.io.OutputStream;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A PostgreSQL backend running in single-user mode inside a PGlite wasm instance, driven the way PGlite's
 * own host drives it: frontend protocol bytes go in through a read callback, backend protocol bytes come out
 * through a write callback, one {@code PostgresMainLoopOnce} per message.
 *
 * <p>Errors: an {@code ERROR} in PostgreSQL unwinds to the top level as {@code exit(100)}; the backend is
 * resumed with {@code PostgresMainLongJmp}, which sends the ErrorResponse. Anything else that escapes the
 * wasm code (a FATAL exit, an abort, a trap, a host failure) leaves that instance unusable: the call that hit
 * it fails with {@link BackendException}, the instance is dropped, and the next call starts a new one on the
 * same data directory, which PostgreSQL recovers from its WAL, as a postmaster restarts a crashed backend.
 *
 * <p>All calls run on the backend's {@link WasmThread}; the methods may be called from any thread but not
 * concurrently for overlapping conversations (the server serialises clients).
 */
public final class PostgresBackend implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PostgresBackend.class);

    /** {@code main} returns this when the single-user backend is initialised and stays alive. */
    static final int EXIT_ALIVE = 99;
    /** {@code exit} status used by PGlite for an ERROR reaching the top level. */
    static final int EXIT_LONGJMP = 100;

    /** The arguments PGlite starts its backend with (before {@code -D} and the database). */
    public static final List<String> DEFAULT_START_PARAMS = List.of(
            "--single", "-F", "-O", "-j",
            "-c", "search_path=public",
            "-c", "exit_on_error=false",
            "-c", "log_checkpoints=false",
            "-c", "max_worker_processes=0",
            "-c", "max_parallel_workers=0",
            "-c", "max_parallel_workers_per_gather=0",
            "-c", "io_method=sync",
            "-c", "max_parallel_maintenance_workers=0");

    /**
     * Returns the start arguments for a PostgreSQL major version: {@link #DEFAULT_START_PARAMS}, without
     * {@code io_method} before 18 (the setting is new in PostgreSQL 18, and 17 refuses to start with it).
     *
     * @param postgresMajor for example 17
     * @return an unmodifiable list
     */
    public static List<String> startParams(int postgresMajor) {
        if (postgresMajor >= 18) {
            return DEFAULT_START_PARAMS;
        }
        List<String> params = new ArrayList<>(DEFAULT_START_PARAMS);
        int i = params.indexOf("io_method=sync");
        params.subList(i - 1, i + 1).clear();
        return List.copyOf(params);
    }

    private final Supplier<EmscriptenProcess> processes;
    private final WasmThread thread;
    private final String dataDir;
    private final String database;
    private final List<String> settings;
    private final List<String> startParams;
    /** PostgreSQL 17 (PGlite 0.4.x) sends an extra ReadyForQuery after an extended-protocol error. */
    private final boolean collapseReadyForQuery;
    /** The running instance; null after a failure until the next call restarts it. Wasm thread only. */
    private volatile EmscriptenProcess process;
    /** Table slots of the host callbacks of {@link #process}, in installation order. Wasm thread only. */
    private int[] callbackSlots;
    private int restarts;

    // Conversation state, touched only on the wasm thread.
    private byte[] input = new byte[0];
    private int inputPos;
    private int inputEnd;
    private OutputStream output;
    private InputSource moreInput;
    private IOException outputFailure;
    private long bytesOut;

    private volatile Throwable failure;
    private volatile boolean closed;
    /** Addresses of PostgreSQL's {@code QueryCancelPending} and {@code InterruptPending} flags. */
    private int queryCancelPending;
    private int interruptPending;
    private volatile boolean statementTimeoutFallback;
    /** Whether statement_timeout is non-zero at the start of the current request (read on the wasm thread). */
    private volatile boolean statementTimeoutSet;

    private volatile Image origin;

    private PostgresBackend(Supplier<EmscriptenProcess> processes, WasmThread thread, String dataDir,
            String database, List<String> settings, int postgresMajor) {
        this.startParams = startParams(postgresMajor);
        this.collapseReadyForQuery = postgresMajor < 18;
        this.processes = processes;
        this.thread = thread;
        this.dataDir = dataDir;
        this.database = database;
        this.settings = List.copyOf(settings);
    }

    /**
     * Starts PostgreSQL in single-user mode on a data directory.
     *
     * @param processes creates a fresh PGlite process whose filesystem holds the initialised data directory
     *     (called on the wasm thread, again after a failure)
     * @param thread the thread the processes run on
     * @param dataDir the data directory as the process sees it
     * @param database the database the backend connects to
     * @param settings extra {@code -c name=value} settings
     * @return the running backend
     */
    public static PostgresBackend start(Supplier<EmscriptenProcess> processes, WasmThread thread, String dataDir,
            String database, List<String> settings) {
        return start(processes, thread, dataDir, database, settings, 18);
    }

    /**
     * Starts PostgreSQL like {@link #start(Supplier, WasmThread, String, String, List)} for a PostgreSQL major
     * version other than 18 (start arguments: {@link #startParams(int)}).
     *
     * @param processes creates a fresh PGlite process (called on the wasm thread, again after a failure)
     * @param thread the thread the processes run on
     * @param dataDir the data directory as the process sees it
     * @param database the database the backend connects to
     * @param settings extra {@code -c name=value} settings
     * @param postgresMajor the PostgreSQL major version of the processes
     * @return the running backend
     */
    public static PostgresBackend start(Supplier<EmscriptenProcess> processes, WasmThread thread, String dataDir,
            String database, List<String> settings, int postgresMajor) {
        PostgresBackend backend = new PostgresBackend(processes, thread, dataDir, database, settings, postgresMajor);
        thread.run(backend::boot);
        return backend;
    }

    /**
     * The state of a started backend, captured between requests, from which new backends continue without
     * running PostgreSQL's start-up: the wasm process image, the process's open files (by path: the new
     * backend's filesystem must hold the same files, e.g. overlays of frozen copies) and the table slots of the
     * host callbacks (a restored process gets the same callbacks in the same slots).
     *
     * @param process the wasm-level state
     * @param files the descriptor table and working directory
     * @param callbackSlots table slots of the host callbacks, in installation order
     */
    public record Image(ProcessImage process, VirtualFileSystem.Snapshot files, int[] callbackSlots) {
        /** Copies the slots. */
        public Image {
            callbackSlots = callbackSlots.clone();
        }

        @Override
        public int[] callbackSlots() {
            return callbackSlots.clone();
        }
    }

    /**
     * Continues a started backend from an image instead of starting PostgreSQL: the new process gets the
     * image's memory (copy-on-write), globals and open files, and the host callbacks are put into the same
     * table slots. After a failure the backend restarts by booting normally on the same data directory.
     *
     * @param processes creates a fresh PGlite process for restarts after a failure (as for {@link #start})
     * @param restored creates a PGlite process continuing from a process image, over files holding the same
     *     trees the image's process saw
     * @param image the captured backend
     * @param thread the thread the processes run on
     * @param dataDir the data directory as the process sees it
     * @param database the database the backend connects to
     * @param settings extra {@code -c name=value} settings (used by restarts)
     * @return the running backend
     * @throws BackendException if the restored process does not match the image (its callbacks land in other
     *     table slots); the caller may then start a backend normally
     */
    public static PostgresBackend restore(Supplier<EmscriptenProcess> processes,
            Function<ProcessImage, EmscriptenProcess> restored, Image image, WasmThread thread, String dataDir,
            String database, List<String> settings) {
        return restore(processes, restored, image, thread, dataDir, database, settings, 18);
    }

    /**
     * Continues a backend from an image like {@link #restore(Supplier, Function, Image, WasmThread, String, String,
     * List)} for a PostgreSQL major version other than 18.
     *
     * @param processes creates a fresh process for restarts
     * @param restored creates a process continuing from a process image
     * @param image the captured backend
     * @param thread the thread the processes run on
     * @param dataDir the data directory as the process sees it
     * @param database the database the backend connects to
     * @param settings extra {@code -c name=value} settings
     * @param postgresMajor the PostgreSQL major version of the processes
     * @return the running backend
     */
    public static PostgresBackend restore(Supplier<EmscriptenProcess> processes,
            Function<ProcessImage, EmscriptenProcess> restored, Image image, WasmThread thread, String dataDir,
            String database, List<String> settings, int postgresMajor) {
        PostgresBackend backend = new PostgresBackend(processes, thread, dataDir, database, settings, postgresMajor);
        thread.run(() -> backend.restoreProcess(restored, image));
        backend.origin = image;
        return backend;
    }

    /**
     * The captured backend this one was restored from, or null if it was started. Backends restored from the
     * same image answer the same session start-up the same way (the server shares what it learnt about that).
     *
     * @return the image, or null
     */
    public Image origin() {
        return origin;
    }

    /** Cancel and statement-timeout support for a (started or restored) process. */
    private void installSignals(EmscriptenProcess p) {
        queryCancelPending = p.exportedAddress("QueryCancelPending").orElseThrow();
        interruptPending = p.exportedAddress("InterruptPending").orElseThrow();
        // A statement_timeout alarm that finds no safe point (pure computation without host calls) still
        // cancels the statement, as a cancel request would. PostgreSQL leaves stale alarms running and ignores
        // them when they come, so an undelivered alarm is only taken for a statement timeout when the session
        // has one.
        p.signals().onUndelivered(() -> {
            if (statementTimeoutSet) {
                statementTimeoutFallback = true;
                writeCancelFlags();
            }
        });
    }

    private void restoreProcess(Function<ProcessImage, EmscriptenProcess> restored, Image image) {
        long t0 = System.nanoTime();
        EmscriptenProcess p = restored.apply(image.process());
        long t1 = System.nanoTime();
        try {
            p.files().restore(image.files());
            long t2 = System.nanoTime();
            int[] slots = installCallbacks(p);
            LOG.debug("restore: instance {} us, files {} us, callbacks {} us", (t1 - t0) / 1000, (t2 - t1) / 1000,
                    (System.nanoTime() - t2) / 1000);
            if (!Arrays.equals(slots, image.callbackSlots) || p.table().size() != image.process().tableSize()) {
                throw new BackendException("the restored process's host callbacks landed in table slots "
                        + Arrays.toString(slots) + " (table size " + p.table().size() + "), the image's are "
                        + Arrays.toString(image.callbackSlots) + " (table size " + image.process().tableSize()
                        + ")");
            }
            freshProcessIdentity(p);
            process = p;
            callbackSlots = slots;
            installSignals(p);
        } catch (RuntimeException e) {
            p.files().close();
            throw e;
        }
        LOG.debug("backend restored from an image in {} us", (System.nanoTime() - t0) / 1_000);
    }

    /**
     * What a restored backend must not share with the others restored from the same image: the seed of
     * {@code random()} (PostgreSQL seeds it at start-up from strong randomness) and its start time.
     */
    private static void freshProcessIdentity(EmscriptenProcess p) {
        OptionalInt prng = p.exportedAddress("pg_global_prng_state");
        if (prng.isPresent()) {
            long s0 = SEEDS.nextLong();
            long s1 = SEEDS.nextLong();
            p.memory().writeLong(prng.getAsInt(), s0 == 0 && s1 == 0 ? 1 : s0); // xoroshiro: not all zero
            p.memory().writeLong(prng.getAsInt() + 8, s1);
        }
        OptionalInt startTime = p.exportedAddress("MyStartTime");
        if (startTime.isPresent()) {
            p.memory().writeLong(startTime.getAsInt(), System.currentTimeMillis() / 1000);
        }
    }

    private static final SecureRandom SEEDS = new SecureRandom();

    /**
     * Captures the running backend so that new backends can continue from it ({@link #restore}). Call it
     * between sessions (no client connected); the backend goes on running.
     *
     * @return the image
     * @throws BackendException if the backend is failed or closed
     * @throws IllegalStateException if its state cannot be captured (side modules loaded, a file open that
     *     was deleted)
     */
    public Image capture() {
        checkUsable();
        return thread.call(() -> {
            if (process == null) {
                throw new BackendException("the backend failed and was not restarted yet");
            }
            return new Image(process.image(), process.files().snapshot(), callbackSlots);
        });
    }

    private void boot() {
        long t0 = System.nanoTime();
        EmscriptenProcess p = processes.get();
        LOG.debug("instance created in {} ms", (System.nanoTime() - t0) / 1_000_000);
        process = p;
        try {
            bootProcess();
        } catch (RuntimeException e) {
            process = null;
            p.files().close();
            throw e;
        }
    }

    private void bootProcess() {
        callbackSlots = installCallbacks(process);
        installSignals(process);
        List<String> args = new ArrayList<>(startParams);
        for (String s : settings) {
            args.add("-c");
            args.add(s);
        }
        args.add("-D");
        args.add(dataDir);
        args.add(database);
        process.callInt("pgl_setPGliteActive", 1);
        long t0 = System.nanoTime();
        int rc = process.callMain(args);
        if (rc != EXIT_ALIVE) {
            throw new BackendException("PostgreSQL did not start: main returned " + rc
                    + " instead of " + EXIT_ALIVE + "; see the PostgreSQL log above for the reason");
        }
        process.call("pgl_startPGlite");
        LOG.debug("backend started in {} ms", (System.nanoTime() - t0) / 1_000_000);
    }

    /**
     * Puts the protocol read/write callbacks into the process's function table and hands their indices to
     * PGlite, together with the replacements for running external programs.
     */
    private int[] installCallbacks(EmscriptenProcess p) {
        FunctionType ipi = FunctionType.of(List.of(ValType.I32, ValType.I32), List.of(ValType.I32));
        int[] slots = new HostFunctionTable(p.instance()).addAll(List.of(
                new HostFunctionTable.Entry("pglite_read", ipi, (inst, a) -> new long[] {read((int) a[0], (int) a[1])}),
                new HostFunctionTable.Entry("pglite_write", ipi,
                        (inst, a) -> new long[] {write((int) a[0], (int) a[1])})));
        p.call("pgl_set_rw_cbs", slots[0], slots[1]);
        int[] external = ExternalCommands.install(p);
        int[] all = Arrays.copyOf(slots, slots.length + external.length);
        System.arraycopy(external, 0, all, slots.length, external.length);
        return all;
    }

    /** read_cb: hands the backend as much of the pending frontend bytes as fits. */
    private int read(int ptr, int max) {
        if (inputPos >= inputEnd && moreInput != null) {
            byte[] more = moreInput.more();
            if (more != null) {
                input = more;
                inputPos = 0;
                inputEnd = more.length;
            }
        }
        int n = Math.min(max, inputEnd - inputPos);
        if (n > 0) {
            process.memory().write(ptr, input, inputPos, n);
            inputPos += n;
        }
        return n;
    }

    /** write_cb: passes backend bytes on to the client; never throws into wasm code. */
    private int write(int ptr, int len) {
        if (output != null && outputFailure == null) {
            try {
                output.write(process.memory().readBytes(ptr, len));
            } catch (IOException e) {
                outputFailure = e;
            }
        }
        bytesOut += len;
        return len;
    }

    /**
     * Processes a startup packet (length word included) and writes the backend's answer (authentication
     * ok, parameter statuses, key data, ReadyForQuery) to {@code out}.
     *
     * @param packet the startup packet
     * @param out where the answer goes
     * @throws IOException when writing to {@code out} fails
     */
    public void startup(byte[] packet, OutputStream out) throws IOException {
        converse(packet, 0, packet.length, out, () -> {
            int port = process.callInt("pgl_getMyProcPort");
            int r = process.callInt("ProcessStartupPacket", port, 1, 1);
            if (r != 0) {
                throw new BackendException("PostgreSQL rejected the startup packet (status " + r + ")");
            }
            process.call("pgl_sendConnData");
            process.call("pgl_pq_flush");
        });
    }

    /**
     * Runs complete frontend messages through the backend and writes everything it answers to {@code out}.
     *
     * @param buf frontend bytes: whole messages only
     * @param off start offset
     * @param len number of bytes
     * @param out where the backend's messages go
     * @throws IOException when writing to {@code out} fails
     */
    public void exchange(byte[] buf, int off, int len, OutputStream out) throws IOException {
        exchange(buf, off, len, out, null);
    }

    /**
     * Like {@link #exchange(byte[], int, int, OutputStream)}, with a source of further input for when the
     * backend needs more bytes than it was given in the middle of a request (a COPY FROM STDIN reads until
     * CopyDone; running out of input there would be end-of-file for PostgreSQL).
     *
     * @param buf frontend bytes: whole messages only
     * @param off start offset
     * @param len number of bytes
     * @param out where the backend's messages go
     * @param more asked on the backend's thread when the input is used up, or null
     * @throws IOException when writing to {@code out} fails
     */
    public void exchange(byte[] buf, int off, int len, OutputStream out, InputSource more) throws IOException {
        moreInput = more;
        try {
            converse(buf, off, len, out, this::runMessages);
        } finally {
            moreInput = null;
        }
    }

    /** Supplies input the backend needs beyond what an exchange was given. */
    @FunctionalInterface
    public interface InputSource {
        /**
         * Called on the backend's thread when the backend reads and no input is left; may block.
         *
         * @return whole frontend messages to continue with, or null when there is nothing more (the read then
         *     returns no bytes)
         */
        byte[] more();
    }

    private void runMessages() {
        while (inputPos < inputEnd || process.callInt("pq_buffer_remaining_data") > 0) {
            process.signals().safePoint();
            int sp = process.stackSave();
            try {
                process.call("PostgresMainLoopOnce");
            } catch (ProcessExitException e) {
                process.stackRestore(sp);
                if (e.status() != EXIT_LONGJMP) {
                    throw new BackendException("PostgreSQL exited with status " + e.status()
                            + " while processing a message (a FATAL error); it restarts with the next request");
                }
                process.call("PostgresMainLongJmp");
            }
        }
        // Anything thrown above drops the instance, so this only runs on a healthy backend.
        process.call("PostgresSendReadyForQueryIfNecessary");
        process.call("pgl_pq_flush");
    }

    private void converse(byte[] buf, int off, int len, OutputStream out, Runnable body) throws IOException {
        Objects.requireNonNull(out, "out");
        checkUsable();
        thread.run(() -> {
            if (process == null) {
                restart();
            }
            input = buf;
            inputPos = off;
            inputEnd = off + len;
            ReadyForQueryCollapser collapser = collapseReadyForQuery ? new ReadyForQueryCollapser(out) : null;
            output = collapser != null ? collapser : out;
            outputFailure = null;
            statementTimeoutSet = !"0".equals(process.readCString(process.callInt("GetConfigOption",
                    process.persistentString("statement_timeout"), 0, 0)));
            process.signals().setActive(true);
            try {
                body.run();
            } catch (BackendException e) {
                drop(e);
                throw e;
            } catch (RuntimeException | Error e) {
                drop(e);
                throw new BackendException("the PostgreSQL backend failed (" + e
                        + "); it restarts with the next request", e);
            } finally {
                if (process != null) {
                    process.signals().setActive(false);
                }
                if (collapser != null && outputFailure == null) {
                    try {
                        collapser.finish();
                    } catch (IOException e) {
                        outputFailure = e;
                    }
                }
                input = new byte[0];
                inputPos = 0;
                inputEnd = 0;
                output = null;
            }
        });
        if (outputFailure != null) {
            IOException e = outputFailure;
            outputFailure = null;
            throw e;
        }
        out.flush();
    }

    private void checkUsable() {
        if (closed) {
            throw new BackendException("the backend is closed");
        }
    }

    /** Drops a failed instance; its descriptors are released, its memory goes with it. */
    private void drop(Throwable cause) {
        failure = cause;
        LOG.error("PostgreSQL backend failed; it will be restarted on the same data directory", cause);
        EmscriptenProcess p = process;
        process = null;
        if (p != null) {
            try {
                p.files().close();
            } catch (RuntimeException e) {
                LOG.warn("releasing the failed backend's files: {}", e.toString());
            }
        }
    }

    private void restart() {
        restarts++;
        LOG.warn("restarting the PostgreSQL backend (restart {}); it recovers from its write-ahead log", restarts);
        boot();
        failure = null;
    }

    /**
     * Asks PostgreSQL to cancel the statement it is running, as a {@code SIGINT} does: the signal is delivered
     * to PostgreSQL's handler at the wasm thread's next safe point (which also wakes a backend that is
     * sleeping or waiting), and the {@code QueryCancelPending}/{@code InterruptPending} flags are set at once
     * for code that makes no host call. The statement then fails with SQLSTATE 57014 at its next
     * {@code CHECK_FOR_INTERRUPTS()}. May be called from any thread while a request runs; callers withdraw an
     * unused request with {@link #clearCancelRequest()} before the next request, so it cannot hit another
     * statement.
     */
    public void requestCancel() {
        if (queryCancelPending == 0 || failure != null || closed) {
            return;
        }
        writeCancelFlags();
        process.signals().raise(io.pglite.wasm.Signals.SIGINT);
    }

    private void writeCancelFlags() {
        var memory = process.memory();
        memory.writeI32(queryCancelPending, 1);
        memory.writeI32(interruptPending, 1);
    }

    /**
     * Tells whether, since {@link #resetStatementTimeoutFallback()}, an alarm (in practice
     * {@code statement_timeout}) found the backend in pure computation without a safe point and was turned
     * into a plain cancel request; PostgreSQL then reports "canceling statement due to user request" instead
     * of "... due to statement timeout" (SQLSTATE 57014 either way).
     *
     * @return true if the fallback fired
     */
    public boolean statementTimeoutFallbackFired() {
        return statementTimeoutFallback;
    }

    /** Forgets an earlier {@link #statementTimeoutFallbackFired() fallback}. */
    public void resetStatementTimeoutFallback() {
        statementTimeoutFallback = false;
    }

    /**
     * Withdraws a cancel request that the backend has not acted on. Call only while no request runs.
     */
    public void clearCancelRequest() {
        if (queryCancelPending != 0 && failure == null && !closed) {
            process.memory().writeI32(queryCancelPending, 0);
        }
    }

    /**
     * Tells whether the session is inside a transaction block (between BEGIN and COMMIT/ROLLBACK).
     *
     * @return true inside a transaction block
     */
    public boolean inTransactionBlock() {
        checkUsable();
        return thread.call(() -> process != null && process.callInt("IsTransactionBlock") != 0);
    }

    /** Total bytes the backend has written to clients (for diagnostics and tests). */
    public long bytesOut() {
        return bytesOut;
    }

    /** The process the backend runs in now (null between a failure and the restart). */
    public EmscriptenProcess process() {
        return thread.call(() -> process);
    }

    /** How often the backend was restarted after a failure. */
    public int restarts() {
        return thread.call(() -> restarts);
    }

    /** The thread the backend runs on. */
    public WasmThread thread() {
        return thread;
    }

    /** Tells whether the backend failed and waits to be restarted by the next request. */
    public boolean failed() {
        return failure != null;
    }

    /**
     * Stops using the backend without shutting PostgreSQL down, for a backend whose files are thrown away
     * with it (an in-memory cluster): a shutdown checkpoint would be wasted work. Idempotent.
     */
    public void discard() {
        closed = true;
        try {
            thread.run(() -> process = null); // on the backend's thread: after anything still running there
        } catch (java.util.concurrent.RejectedExecutionException e) {
            process = null; // the thread is gone already, and with it anything that ran there
        }
    }

    /**
     * Shuts PostgreSQL down cleanly: runs its exit handlers, which write the shutdown checkpoint and remove
     * {@code postmaster.pid}. A failed backend is not shut down (its state is unknown); the data directory
     * is then recovered from WAL the next time it starts.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        thread.run(() -> {
            if (process == null) {
                return;
            }
            try {
                process.callInt("pgl_setPGliteActive", 0);
                process.call("pgl_run_atexit_funcs");
            } catch (ProcessExitException e) {
                if (e.status() != 0) {
                    LOG.warn("PostgreSQL exited with status {} during shutdown", e.status());
                }
            } finally {
                // The process (its wasm memory, up to the memory limit) must not outlive the backend through
                // a reference someone keeps to a closed cluster.
                process = null;
            }
        });
    }
}
