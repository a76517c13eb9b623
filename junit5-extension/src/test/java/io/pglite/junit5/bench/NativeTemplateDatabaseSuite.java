package io.pglite.junit5.bench;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.RepeatedTest;

/**
 * The native way of isolating tests, for comparison: PostgreSQL 15 with a template database holding the
 * schema, {@code CREATE DATABASE .. TEMPLATE} before each test and {@code DROP DATABASE} after it. The server's
 * URL comes from the system property {@code native.url} (a postgres superuser database).
 */
public class NativeTemplateDatabaseSuite {
    private static final AtomicInteger COUNTER = new AtomicInteger();
    private static Connection admin;
    private String database;
    private Connection connection;

    @BeforeAll
    static void createTemplate() throws Exception {
        admin = DriverManager.getConnection(System.getProperty("native.url"), "postgres", "");
        try (Statement s = admin.createStatement()) {
            s.execute("DROP DATABASE IF EXISTS bench_template");
            s.execute("CREATE DATABASE bench_template");
        }
        try (Connection c = DriverManager.getConnection(url("bench_template"), "postgres", "");
                Statement s = c.createStatement()) {
            s.execute(new String(NativeTemplateDatabaseSuite.class.getResourceAsStream("/schema.sql").readAllBytes(),
                    java.nio.charset.StandardCharsets.UTF_8));
        }
    }

    private static String url(String db) {
        String base = System.getProperty("native.url");
        return base.substring(0, base.lastIndexOf('/') + 1) + db;
    }

    @BeforeEach
    void createDatabase() throws SQLException {
        database = "bench_test_" + COUNTER.incrementAndGet();
        try (Statement s = admin.createStatement()) {
            s.execute("CREATE DATABASE " + database + " TEMPLATE bench_template");
        }
        connection = DriverManager.getConnection(url(database), "postgres", "");
    }

    @RepeatedTest(200)
    void insertsAndAsserts() throws SQLException {
        PerTestBenchmark.insertAndAssert(connection);
    }

    @AfterEach
    void dropDatabase() throws SQLException {
        connection.close();
        try (Statement s = admin.createStatement()) {
            s.execute("DROP DATABASE " + database);
        }
    }

    @AfterAll
    static void dropTemplate() throws SQLException {
        try (Statement s = admin.createStatement()) {
            s.execute("DROP DATABASE bench_template");
        }
        admin.close();
    }
}
