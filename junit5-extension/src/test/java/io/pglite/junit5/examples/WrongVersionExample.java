package io.pglite.junit5.examples;

import io.pglite.junit5.PgliteTest;
import java.sql.Connection;
import org.junit.jupiter.api.Test;

/** Run by PgliteExtensionTest: a PostgreSQL version this build does not have. */
@PgliteTest(version = "13")
public class WrongVersionExample {
    @Test
    void neverRuns(Connection c) {}
}
