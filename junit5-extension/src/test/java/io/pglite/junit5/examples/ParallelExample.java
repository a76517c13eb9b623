package io.pglite.junit5.examples;

import io.pglite.junit5.PgliteTest;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.RepeatedTest;

/** Run by PgliteExtensionTest with parallel execution: concurrent tests, each in its own cluster. */
@PgliteTest(initScripts = "schema.sql")
public class ParallelExample {
    /** Tests running at this moment, and the most at once. */
    public static final AtomicInteger RUNNING = new AtomicInteger();
    public static final AtomicInteger PEAK = new AtomicInteger();

    @RepeatedTest(12)
    void eachSeesOnlyItsOwnRow(Connection c) throws SQLException, InterruptedException {
        PEAK.accumulateAndGet(RUNNING.incrementAndGet(), Math::max);
        try {
            String me = Thread.currentThread().getName() + "-" + System.nanoTime();
            Thread.sleep(50); // overlap with the other threads' tests
            IsolationExample.insertAndSeeOnlyMine(c, me);
        } finally {
            RUNNING.decrementAndGet();
        }
    }
}
