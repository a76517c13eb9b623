package io.pglite.server;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends random and malformed frontend traffic to a server on the loopback interface: garbage before and after
 * startup, bad and huge declared lengths, truncated messages, unknown message types, random bodies for every
 * message type, broken SSL/cancel/startup packets, COPY left open, connections that say nothing. Each scenario
 * ends by either closing the socket or asking a question (Sync, then a query) that the server must answer or
 * refuse by closing the connection; a server that neither answers nor closes within the deadline is a hang.
 *
 * <p>FunctionCall messages are not fuzzed: they call arbitrary server functions by OID (pg_sleep with a huge
 * argument would legitimately keep the session).
 */
final class ServerFuzzer {
    private static final Logger LOG = LoggerFactory.getLogger(ServerFuzzer.class);
    private static final char[] TYPES = {'B', 'C', 'd', 'c', 'f', 'D', 'E', 'H', 'P', 'Q', 'S'};

    private static final ThreadLocal<Long> SEED = new ThreadLocal<>();
    private final String host;
    private final int port;
    private final long answerTimeoutMillis;
    final AtomicLong scenarios = new AtomicLong();
    final AtomicLong answered = new AtomicLong();
    final AtomicLong closedByServer = new AtomicLong();
    final ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();

    ServerFuzzer(String host, int port, long answerTimeoutMillis) {
        this.host = host;
        this.port = port;
        this.answerTimeoutMillis = answerTimeoutMillis;
    }

    /** Runs scenarios on {@code threads} threads until {@code count} are done or {@code deadline} passes. */
    void run(int threads, long count, long deadlineNanos, long seed) throws InterruptedException {
        List<Thread> ts = new ArrayList<>();
        AtomicLong remaining = new AtomicLong(count);
        for (int t = 0; t < threads; t++) {
            Random r = new Random(seed + t);
            Thread th = new Thread(() -> {
                while (remaining.getAndDecrement() > 0 && System.nanoTime() < deadlineNanos && problems.isEmpty()) {
                    long s = r.nextLong();
                    SEED.set(s);
                    try {
                        scenario(new Random(s));
                    } catch (IOException e) {
                        // connection-level failures are the server's right (it may close on bad input)
                    } catch (RuntimeException e) {
                        problems.add("scenario with seed " + s + " failed: " + e);
                    }
                    scenarios.incrementAndGet();
                }
            }, "fuzzer-" + t);
            th.start();
            ts.add(th);
        }
        for (Thread th : ts) {
            th.join();
        }
    }

    /** Runs the scenario of one seed (to reproduce a problem). */
    void replay(long seed) throws IOException {
        SEED.set(seed);
        scenario(new Random(seed));
    }

    private void scenario(Random r) throws IOException {
        try (Socket s = new Socket(host, port)) {
            s.setSoTimeout((int) answerTimeoutMillis);
            s.setSoLinger(true, 0);
            OutputStream out = s.getOutputStream();
            InputStream in = s.getInputStream();
            int kind = r.nextInt(12);
            switch (kind) {
                case 0 -> { // garbage instead of a startup packet
                    out.write(randomBytes(r, 1 + r.nextInt(64)));
                    expectAnswerOrClose(s, in, false);
                }
                case 1 -> { // bad startup-phase packets
                    ByteArrayOutputStream b = new ByteArrayOutputStream();
                    int variant = r.nextInt(6);
                    switch (variant) {
                        case 0 -> Wire.writeInt(b, r.nextInt()); // random length
                        case 1 -> { // SSL request, then garbage
                            Wire.writeInt(b, 8);
                            Wire.writeInt(b, 80877103);
                            b.writeBytes(randomBytes(r, 16));
                        }
                        case 2 -> { // cancel request with a random key
                            Wire.writeInt(b, 16);
                            Wire.writeInt(b, 80877102);
                            Wire.writeInt(b, 10_000 + r.nextInt(50));
                            Wire.writeInt(b, r.nextInt());
                        }
                        case 3 -> { // unsupported protocol
                            Wire.writeInt(b, 8);
                            Wire.writeInt(b, r.nextInt(10) << 16 | r.nextInt(5));
                        }
                        case 4 -> { // startup packet with broken parameters
                            byte[] params = randomBytes(r, r.nextInt(40));
                            Wire.writeInt(b, 8 + params.length);
                            Wire.writeInt(b, 196608);
                            b.writeBytes(params);
                        }
                        default -> b.writeBytes(Wire.startup(r.nextBoolean() ? "postgres" : "x" + r.nextInt(),
                                r.nextBoolean() ? "postgres" : "db" + r.nextInt(), "options",
                                r.nextBoolean() ? "-c work_mem=" + r.nextInt() : "--bogus", "application_name",
                                "fuzz"));
                    }
                    out.write(b.toByteArray());
                    expectAnswerOrClose(s, in, false);
                }
                case 2 -> { // say nothing at all: the authentication timeout ends it
                    expectAnswerOrClose(s, in, false);
                }
                default -> {
                    out.write(Wire.startup("postgres", "postgres"));
                    if (!readUntilReady(in)) {
                        problems.add("no greeting for a valid startup packet");
                        return;
                    }
                    afterStartup(r, s, in, out, kind);
                }
            }
        }
    }

    private void afterStartup(Random r, Socket s, InputStream in, OutputStream out, int kind) throws IOException {
        switch (kind) {
            case 3 -> { // a frame with a hostile declared length
                out.write(r.nextBoolean() ? TYPES[r.nextInt(TYPES.length)] : r.nextInt(256));
                out.write(Wire.int32(r.nextBoolean() ? Integer.MAX_VALUE - r.nextInt(1000) : -r.nextInt(100)));
                expectAnswerOrClose(s, in, false);
            }
            case 4 -> { // a large declared Query, partly sent, then the client leaves
                out.write('Q');
                out.write(Wire.int32(64 << 20));
                out.write(randomBytes(r, r.nextInt(4 << 20)));
            }
            case 5 -> { // a truncated message, then the client leaves
                byte[] m = randomMessage(r);
                out.write(m, 0, Math.max(1, r.nextInt(m.length)));
            }
            case 6 -> { // COPY left open with garbage, then the client leaves or sends junk
                out.write(Wire.query("CREATE TABLE IF NOT EXISTS fuzz_copy (a int, b text)"));
                readUntilReady(in);
                out.write(Wire.query("COPY fuzz_copy FROM STDIN"));
                for (int i = r.nextInt(5); i > 0; i--) {
                    out.write(Wire.message('d', randomBytes(r, r.nextInt(200))));
                }
                if (r.nextBoolean()) {
                    out.write(randomMessage(r));
                    out.write(Wire.message('c'));
                    out.write(Wire.sync());
                    probe(s, in, out);
                }
            }
            case 7 -> { // an extended batch left open
                out.write(Wire.parse("", "INSERT INTO fuzz_copy VALUES (1, 'left open')"));
                out.write(Wire.bind("", ""));
                out.write(Wire.execute("", 0));
                out.write(Wire.flush());
            }
            case 8 -> { // garbage bytes after startup
                byte[] g = randomBytes(r, 1 + r.nextInt(256));
                out.write(g);
                switch (framing(g)) {
                    case INVALID -> expectAnswerOrClose(s, in, false); // refused: an error, then closed
                    case COMPLETE -> probe(s, in, out); // whole (random) messages: they are answered
                    default -> {
                        // the last message is incomplete: the server rightly waits for the rest, as PostgreSQL
                        // does; the client leaves
                    }
                }
            }
            default -> { // random well-framed messages with random bodies, then a question
                int n = 1 + r.nextInt(20);
                ByteArrayOutputStream b = new ByteArrayOutputStream();
                for (int i = 0; i < n; i++) {
                    b.writeBytes(randomMessage(r));
                }
                out.write(b.toByteArray());
                probe(s, in, out);
            }
        }
    }

    /** A well-framed message of a valid type with a random (often invalid) body. */
    private static byte[] randomMessage(Random r) {
        char type = TYPES[r.nextInt(TYPES.length)];
        byte[] body;
        switch (r.nextInt(4)) {
            case 0 -> body = randomBytes(r, r.nextInt(64));
            case 1 -> body = new byte[0];
            case 2 -> { // plausible prefix, garbage tail
                ByteArrayOutputStream b = new ByteArrayOutputStream();
                b.writeBytes(Wire.cstr(r.nextBoolean() ? "" : "s" + r.nextInt(5)));
                b.writeBytes(Wire.cstr(r.nextBoolean() ? "SELECT " + r.nextInt() : "S_" + r.nextInt(3)));
                b.writeBytes(randomBytes(r, r.nextInt(16)));
                body = b.toByteArray();
            }
            default -> { // valid-looking messages
                return switch (r.nextInt(7)) {
                    case 0 -> Wire.parse("s" + r.nextInt(3), "SELECT $1::int + " + r.nextInt(100));
                    case 1 -> Wire.bind("", "s" + r.nextInt(3), String.valueOf(r.nextInt()));
                    case 2 -> Wire.execute("", r.nextInt(3));
                    case 3 -> Wire.describeStatement(r.nextBoolean() ? "" : "s" + r.nextInt(3));
                    case 4 -> Wire.closeStatement("s" + r.nextInt(3));
                    case 5 -> Wire.query(r.nextBoolean() ? "SELECT " + r.nextInt() : "BEGIN");
                    default -> Wire.sync();
                };
            }
        }
        if (type == 'S' || type == 'H') {
            body = r.nextInt(4) == 0 ? body : new byte[0];
        }
        return Wire.message(type, body);
    }

    /** Ends a batch with Sync and asks a question; the server must answer or close the connection. */
    private void probe(Socket s, InputStream in, OutputStream out) throws IOException {
        try {
            // ROLLBACK first: the random messages may have left a failed transaction block.
            out.write(Wire.concat(Wire.sync(), Wire.query("ROLLBACK"), Wire.query("SELECT 'probe'")));
            out.flush();
        } catch (SocketException e) {
            closedByServer.incrementAndGet();
            return;
        }
        expectAnswerOrClose(s, in, true);
    }

    /** Reads until the probe's answer (when {@code wantProbe}) or end of stream; a timeout is a hang. */
    private void expectAnswerOrClose(Socket s, InputStream in, boolean wantProbe) throws IOException {
        long deadline = System.nanoTime() + answerTimeoutMillis * 1_000_000L;
        ByteArrayOutputStream seen = new ByteArrayOutputStream();
        byte[] buf = new byte[8192];
        while (true) {
            int n;
            try {
                n = in.read(buf);
            } catch (SocketTimeoutException e) {
                problems.add("no answer and no close within " + answerTimeoutMillis + " ms (received "
                        + seen.size() + " bytes) in scenario with seed " + SEED.get());
                return;
            } catch (SocketException e) {
                closedByServer.incrementAndGet();
                return;
            }
            if (n < 0) {
                closedByServer.incrementAndGet();
                return;
            }
            seen.write(buf, 0, n);
            if (wantProbe && new String(seen.toByteArray(), StandardCharsets.ISO_8859_1).contains("probe")
                    && endsWithReady(seen.toByteArray())) {
                answered.incrementAndGet();
                return;
            }
            if (System.nanoTime() > deadline) {
                problems.add("the server kept talking without answering the probe");
                return;
            }
        }
    }

    private enum Framing { INVALID, INCOMPLETE, COMPLETE }

    /** How the server frames these bytes: a bad type or length somewhere, an incomplete last message, or whole. */
    private static Framing framing(byte[] g) {
        int p = 0;
        while (p < g.length) {
            char type = (char) (g[p] & 0xff);
            if ("BCdcfDEHFPQSX".indexOf(type) < 0) { // every type the server accepts (FunctionCall included)
                return Framing.INVALID;
            }
            if (g.length - p < 5) {
                return Framing.INCOMPLETE;
            }
            int len = Wire.readInt(g, p + 1);
            boolean large = "BFPQd".indexOf(type) >= 0;
            if (len < 4 || len > (large ? (1 << 30) - 2 : 10_000)) {
                return Framing.INVALID;
            }
            if (type == 'X') {
                return Framing.INVALID; // Terminate: the server closes
            }
            if ((long) p + 1 + len > g.length) {
                return Framing.INCOMPLETE;
            }
            p += 1 + len;
        }
        return Framing.COMPLETE;
    }

    /** True when the bytes end with a ReadyForQuery message ('Z', length 5, status). */
    private static boolean endsWithReady(byte[] b) {
        int n = b.length;
        return n >= 6 && b[n - 6] == 'Z' && b[n - 5] == 0 && b[n - 4] == 0 && b[n - 3] == 0 && b[n - 2] == 5;
    }

    private boolean readUntilReady(InputStream in) throws IOException {
        try {
            while (true) {
                Wire.Msg m = Wire.read(in);
                if (m.type() == 'Z') {
                    return true;
                }
            }
        } catch (IOException e) {
            return false;
        }
    }

    private static byte[] randomBytes(Random r, int n) {
        byte[] b = new byte[n];
        r.nextBytes(b);
        return b;
    }

    /**
     * The long run: {@code java ... io.pglite.server.ServerFuzzer host port minutes} against a running server,
     * for example the command-line server.
     */
    public static void main(String[] args) throws InterruptedException {
        String host = args.length > 0 ? args[0] : "127.0.0.1";
        int port = Integer.parseInt(args[1]);
        long minutes = args.length > 2 ? Long.parseLong(args[2]) : 10;
        ServerFuzzer f = new ServerFuzzer(host, port, 120_000);
        f.run(4, Long.MAX_VALUE, System.nanoTime() + minutes * 60_000_000_000L, System.nanoTime());
        LOG.info("{} scenarios, {} answered probes, {} connections closed by the server, problems: {}", f.scenarios,
                f.answered, f.closedByServer, f.problems);
        if (!f.problems.isEmpty()) {
            System.exit(1);
        }
    }
}
