package io.pglite.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.pglite.cluster.PgliteCluster;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Random and malformed frames against the server while a well-behaved client keeps working on another
 * connection. The suite runs a short, count-bounded run; the long run (at least 10 minutes) is
 * {@code mvn -B -o -pl core-runtime test -Dtest=ServerFuzzTest -Dpglite.fuzz.minutes=10}.
 */
class ServerFuzzTest {
    private static final Logger LOG = LoggerFactory.getLogger(ServerFuzzTest.class);

    @Test
    void malformedTrafficNeverHangsOrCrashesTheServerAndAWellBehavedClientKeepsWorking() throws Exception {
        long minutes = Long.getLong("pglite.fuzz.minutes", 0);
        long scenarios = minutes > 0 ? Long.MAX_VALUE : Long.getLong("pglite.fuzz.scenarios", 400);
        long deadline = System.nanoTime() + (minutes > 0 ? TimeUnit.MINUTES.toNanos(minutes)
                : TimeUnit.MINUTES.toNanos(10));
        long budget = 256L << 20;
        try (PgliteCluster cluster = PgliteCluster.builder().build()) {
            PgliteServer server = cluster.startServer(cluster.serverOptions()
                    .authenticationTimeout(Duration.ofSeconds(2))
                    .clientWriteTimeout(Duration.ofSeconds(10))
                    .inputBufferBudget(budget)
                    .maxConnections(30)
                    .build());
            AtomicBoolean stop = new AtomicBoolean();
            AtomicLong goodQueries = new AtomicLong();
            AtomicLong peakBuffered = new AtomicLong();
            CompletableFuture<Void> wellBehaved = CompletableFuture.runAsync(() -> {
                try (Connection c = DriverManager.getConnection(cluster.jdbcUrl(), "postgres", "");
                        Statement s = c.createStatement()) {
                    s.execute("CREATE TABLE good (id int PRIMARY KEY, v text)");
                    try (PreparedStatement ins = c.prepareStatement("INSERT INTO good VALUES (?, ?)");
                            PreparedStatement sel = c.prepareStatement("SELECT v FROM good WHERE id = ?")) {
                        for (int i = 0; !stop.get(); i++) {
                            ins.setInt(1, i);
                            ins.setString(2, "v" + i);
                            ins.executeUpdate();
                            sel.setInt(1, i);
                            try (ResultSet rs = sel.executeQuery()) {
                                rs.next();
                                if (!rs.getString(1).equals("v" + i)) {
                                    throw new AssertionError("wrong row " + i);
                                }
                            }
                            goodQueries.incrementAndGet();
                            peakBuffered.accumulateAndGet(server.bufferedInputBytes(), Math::max);
                        }
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            ServerFuzzer fuzzer = new ServerFuzzer(server.host(), server.port(), 60_000);
            fuzzer.run(4, scenarios, deadline, 20261121L);
            stop.set(true);
            fuzzer.problems.forEach(p -> LOG.error("fuzz problem: {}", p));
            wellBehaved.get(120, TimeUnit.SECONDS);
            LOG.info("fuzz: {} scenarios, {} probes answered, {} connections closed by the server, {} good queries, "
                    + "peak input buffers {} bytes", fuzzer.scenarios, fuzzer.answered, fuzzer.closedByServer,
                    goodQueries, peakBuffered);
            assertThat(fuzzer.problems).isEmpty();
            assertThat(fuzzer.scenarios.get()).isGreaterThanOrEqualTo(Math.min(scenarios, 1));
            assertThat(fuzzer.answered.get()).isPositive();
            assertThat(fuzzer.closedByServer.get()).isPositive();
            assertThat(goodQueries.get()).isPositive();
            assertThat(cluster.backend().failed()).isFalse();
            // Every connection was cleaned up and its buffers returned.
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (server.connectionCount() > 0 || server.bufferedInputBytes() > 0) {
                assertThat(System.nanoTime()).as("connections and buffers are released").isLessThan(until);
                Thread.sleep(20);
            }
            assertThat(peakBuffered.get()).isLessThanOrEqualTo(budget);
            try (Connection c = DriverManager.getConnection(cluster.jdbcUrl(), "postgres", "");
                    Statement s = c.createStatement();
                    ResultSet rs = s.executeQuery("SELECT count(*) FROM good")) {
                rs.next();
                assertThat(rs.getLong(1)).isEqualTo(goodQueries.get());
            }
        }
    }
}
