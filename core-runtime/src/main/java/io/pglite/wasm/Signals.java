package io.pglite.wasm;

import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Asynchronous signals for a process whose wasm code runs on one thread: the interval timers
 * ({@code setitimer}, which PostgreSQL's {@code timeout.c} uses for {@code statement_timeout}) and signals
 * raised from other threads (a query cancel is PostgreSQL's {@code SIGINT}).
 *
 * <p>Emscripten's glue arms a JavaScript timer whose callback calls the program's
 * {@code _emscripten_timeout(which, now)}, which re-arms interval timers and raises the signal. A wasm instance
 * must not be entered from two threads, so here a Java timer (or another thread) only marks the signal due,
 * and the wasm thread delivers it at its next <em>safe point</em>: a host call it makes anyway (reading the
 * clock, {@code poll}; PostgreSQL's waits and sleeps make many) or the host's loop between two protocol
 * messages. A real signal may interrupt any instruction, so PostgreSQL's handlers are written to be safe at
 * any such point.
 *
 * <p>Signals are only delivered while the process is {@linkplain #setActive(boolean) active} (serving a
 * request); one that falls due while it is idle is dropped: PostgreSQL's {@code timeout.c} treats an alarm
 * that never came as lost and re-arms when it next schedules one. When a due alarm finds no safe point
 * within {@link #UNDELIVERED_GRACE_MILLIS} (a stretch of pure computation without host calls), the
 * {@linkplain #onUndelivered(Runnable) fallback action} runs on a timer thread instead. Callers raising a
 * signal from another thread arrange their own fallback (PostgreSQL's cancel also sets memory flags the
 * backend polls).
 */
public final class Signals {
    private static final Logger LOG = LoggerFactory.getLogger(Signals.class);

    /** How long a due signal may wait for a safe point before the fallback action runs. */
    public static final long UNDELIVERED_GRACE_MILLIS = 200;

    /** {@code SIGINT}: PostgreSQL cancels the running statement. */
    public static final int SIGINT = 2;

    private static final int TIMERS = 3; // ITIMER_REAL, ITIMER_VIRTUAL, ITIMER_PROF
    private static final int NSIG = 65;
    private static final int SIG_IGN = 1;
    private static final int SA_SIGINFO = 4;
    /** musl's {@code struct sigaction}: handler, 128-byte mask, flags, restorer. */
    private static final int SIGACTION_SIZE = 140;
    private static final int SA_FLAGS_OFFSET = 132;

    private static final ScheduledExecutorService CLOCK = newClock();

    private final EmscriptenProcess process;
    private final ScheduledFuture<?>[] armed = new ScheduledFuture<?>[TIMERS];
    private final long[] generations = new long[TIMERS];
    private final boolean[] timerDue = new boolean[TIMERS];
    private final boolean[] signalDue = new boolean[NSIG];
    private volatile boolean anyDue;
    private volatile boolean active;
    private volatile Runnable onUndelivered;
    private boolean delivering;

    Signals(EmscriptenProcess process) {
        this.process = process;
    }

    private static ScheduledExecutorService newClock() {
        ScheduledThreadPoolExecutor e = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "pglite-signals");
            t.setDaemon(true);
            return t;
        });
        e.setRemoveOnCancelPolicy(true);
        return e;
    }

    /**
     * Arms ({@code timeoutMs > 0}) or disarms timer {@code which}; called by the program through
     * {@code _setitimer_js}, on the wasm thread.
     *
     * @param which ITIMER_REAL (0), ITIMER_VIRTUAL (1) or ITIMER_PROF (2)
     * @param timeoutMs milliseconds until expiry, 0 to disarm
     */
    synchronized void arm(int which, double timeoutMs) {
        if (which < 0 || which >= TIMERS) {
            return;
        }
        if (armed[which] != null) {
            armed[which].cancel(false);
            armed[which] = null;
        }
        timerDue[which] = false;
        recomputeAnyDue();
        long gen = ++generations[which];
        if (timeoutMs <= 0) {
            return;
        }
        long micros = Math.max(1, (long) Math.ceil(timeoutMs * 1000));
        armed[which] = CLOCK.schedule(() -> expire(which, gen), micros, TimeUnit.MICROSECONDS);
    }

    private void expire(int which, long gen) {
        synchronized (this) {
            if (gen != generations[which]) {
                return;
            }
            armed[which] = null;
            if (!active) {
                LOG.trace("timer {} expired while the process was idle; dropped", which);
                return;
            }
            timerDue[which] = true;
            anyDue = true;
        }
        CLOCK.schedule(() -> checkTimerDelivered(which, gen), UNDELIVERED_GRACE_MILLIS, TimeUnit.MILLISECONDS);
    }

    private void checkTimerDelivered(int which, long gen) {
        Runnable action;
        synchronized (this) {
            if (!timerDue[which] || gen != generations[which] || !active) {
                return;
            }
            timerDue[which] = false;
            recomputeAnyDue();
            action = onUndelivered;
        }
        LOG.debug("timer {} found no safe point within {} ms; running the fallback", which,
                UNDELIVERED_GRACE_MILLIS);
        if (action != null) {
            action.run();
        }
    }

    /**
     * Raises a signal from any thread: it is delivered at the wasm thread's next safe point while the process
     * is active, and dropped when the process is idle.
     *
     * @param signal the signal number, e.g. {@link #SIGINT}
     * @return true if the signal was queued (the process is active)
     */
    public synchronized boolean raise(int signal) {
        if (signal <= 0 || signal >= NSIG) {
            throw new IllegalArgumentException("no such signal: " + signal);
        }
        if (!active) {
            return false;
        }
        signalDue[signal] = true;
        anyDue = true;
        return true;
    }

    private void recomputeAnyDue() {
        boolean any = false;
        for (boolean d : timerDue) {
            any |= d;
        }
        for (boolean d : signalDue) {
            any |= d;
        }
        anyDue = any;
    }

    /**
     * Marks the process as serving a request (signals are delivered) or idle (signals falling due are
     * dropped). Going idle also forgets signals already due.
     *
     * @param active true while a request runs
     */
    public synchronized void setActive(boolean active) {
        this.active = active;
        if (!active) {
            java.util.Arrays.fill(timerDue, false);
            java.util.Arrays.fill(signalDue, false);
            anyDue = false;
        }
    }

    /**
     * Sets what happens when a due alarm finds no safe point in time because the wasm code makes no host
     * call. Runs on a timer thread, not the wasm thread, so it may only write memory words the program
     * polls (for PostgreSQL: its interrupt flags).
     *
     * @param action the fallback, or null for none
     */
    public void onUndelivered(Runnable action) {
        this.onUndelivered = action;
    }

    /**
     * A safe point: delivers due alarms (through the program's {@code _emscripten_timeout}) and due signals
     * (by calling the handler installed with {@code sigaction}). Must be called on the wasm thread, from a host
     * function or between calls into the program.
     */
    public void safePoint() {
        if (!anyDue || delivering) {
            return;
        }
        delivering = true;
        try {
            for (int which = 0; which < TIMERS; which++) {
                boolean fire;
                synchronized (this) {
                    fire = timerDue[which];
                    timerDue[which] = false;
                    recomputeAnyDue();
                }
                if (fire) {
                    double now = process.env().monotonicNanos() / 1_000_000.0;
                    process.call("_emscripten_timeout", which, Double.doubleToRawLongBits(now));
                }
            }
            for (int signal = 1; signal < NSIG; signal++) {
                boolean fire;
                synchronized (this) {
                    fire = signalDue[signal];
                    signalDue[signal] = false;
                    recomputeAnyDue();
                }
                if (fire) {
                    deliver(signal);
                }
            }
        } finally {
            delivering = false;
        }
    }

    /** Runs the handler the program installed for {@code signal}, as {@code raise} would. */
    private void deliver(int signal) {
        int sp = process.stackSave();
        int handler;
        int flags;
        try {
            int old = process.stackAlloc(SIGACTION_SIZE + 16);
            process.memory().fill((byte) 0, old, old + SIGACTION_SIZE);
            if (process.callInt("sigaction", signal, 0, old) != 0) {
                return;
            }
            handler = process.memory().readInt(old);
            flags = process.memory().readInt(old + SA_FLAGS_OFFSET);
        } finally {
            process.stackRestore(sp);
        }
        if (handler == 0 || handler == SIG_IGN) {
            LOG.debug("signal {} has no handler; ignored", signal);
            return;
        }
        if ((flags & SA_SIGINFO) != 0) {
            process.callTable(handler, signal, 0, 0);
        } else {
            process.callTable(handler, signal);
        }
    }
}
