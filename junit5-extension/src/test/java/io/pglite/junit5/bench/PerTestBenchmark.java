package io.pglite.junit5.bench;

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.UniqueId;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Event;
import org.junit.platform.testkit.engine.EventType;
import org.junit.platform.testkit.engine.Events;

/**
 * A class of 200 tests, each inserting and asserting in a database of its own: with {@code @PgliteTest} (a
 * fresh cluster per test) and with native PostgreSQL ({@code CREATE DATABASE .. TEMPLATE} per test), in one
 * JVM, alternating. Time per test is from the test's start event to its finish event, which includes creating
 * and closing its database. Run by {@code junit5-extension/src/bench/per-test.sh}.
 */
public final class PerTestBenchmark {
    private PerTestBenchmark() {}

    static void insertAndAssert(Connection c) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute("INSERT INTO note (body) VALUES ('hello')");
            try (ResultSet rs = s.executeQuery("SELECT count(*) FROM note")) {
                rs.next();
                if (rs.getLong(1) != 1) {
                    throw new AssertionError("expected an empty table before the insert");
                }
            }
        }
    }

    /**
     * Runs the suites.
     *
     * @param args number of rounds (default 3; the first warms the JIT and is reported separately)
     */
    public static void main(String[] args) {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 3;
        for (int round = 1; round <= rounds; round++) {
            List<Class<?>> order = round % 2 == 1
                    ? List.of(PgliteFreshClusterSuite.class, NativeTemplateDatabaseSuite.class)
                    : List.of(NativeTemplateDatabaseSuite.class, PgliteFreshClusterSuite.class);
            for (Class<?> suite : order) {
                long t0 = System.nanoTime();
                Events events = EngineTestKit.engine("junit-jupiter").selectors(selectClass(suite)).execute()
                        .testEvents();
                long wall = System.nanoTime() - t0;
                List<Long> micros = perTestMicros(events);
                long failed = events.failed().count();
                java.util.Collections.sort(micros);
                System.out.printf("RESULT round %d %-28s tests %d failed %d median %.2f ms p90 %.2f ms mean %.2f ms"
                        + " class wall %d ms%n", round, suite.getSimpleName(), micros.size(), failed,
                        pct(micros, 50), pct(micros, 90),
                        micros.stream().mapToLong(Long::longValue).average().orElse(0) / 1000.0, wall / 1_000_000);
                events.failed().stream().limit(1).forEach(e -> e.getPayload(TestExecutionResult.class)
                        .flatMap(TestExecutionResult::getThrowable).ifPresent(Throwable::printStackTrace));
            }
        }
    }

    private static double pct(List<Long> sorted, int p) {
        if (sorted.isEmpty()) {
            return Double.NaN;
        }
        return sorted.get(Math.min(sorted.size() - 1, sorted.size() * p / 100)) / 1000.0;
    }

    private static List<Long> perTestMicros(Events events) {
        Map<UniqueId, Instant> started = new HashMap<>();
        List<Long> micros = new ArrayList<>();
        for (Event e : events.list()) {
            UniqueId id = e.getTestDescriptor().getUniqueId();
            if (e.getType() == EventType.STARTED) {
                started.put(id, e.getTimestamp());
            } else if (e.getType() == EventType.FINISHED && started.containsKey(id)) {
                micros.add(Duration.between(started.get(id), e.getTimestamp()).toNanos() / 1000);
            }
        }
        return micros;
    }
}
