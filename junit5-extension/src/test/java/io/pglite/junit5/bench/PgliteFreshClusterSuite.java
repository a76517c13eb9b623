package io.pglite.junit5.bench;

import io.pglite.junit5.PgliteTest;
import java.sql.Connection;
import java.sql.SQLException;
import org.junit.jupiter.api.RepeatedTest;

/** The benchmark's class of 200 tests: a fresh PGlite cluster per test, each inserting and asserting. */
@PgliteTest(initScripts = "schema.sql")
public class PgliteFreshClusterSuite {
    @RepeatedTest(200)
    void insertsAndAsserts(Connection c) throws SQLException {
        PerTestBenchmark.insertAndAssert(c);
    }
}
