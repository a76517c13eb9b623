package io.pglite.junit5.compat;

import io.pglite.cluster.PgliteCluster;
import io.pglite.junit5.JdbcUrl;
import io.pglite.junit5.PgliteResource;
import io.pglite.junit5.PgliteTest;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;
import javax.sql.DataSource;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;
import org.junit.platform.commons.util.ReflectionUtils;

/** The extension's features on the JUnit Jupiter version this module runs with (printed in the first test). */
@PgliteTest(initScripts = "compat.sql")
class CompatibilityTest {
    /** By identity: a closed cluster's port may be handed to a later one, so URLs can repeat. */
    private static final Set<PgliteCluster> CLUSTERS = Collections.newSetFromMap(new IdentityHashMap<>());

    @PgliteResource
    DataSource dataSource;

    @JdbcUrl
    String url;

    private static long insertAndCount(Connection c) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute("INSERT INTO item VALUES (1)");
            try (ResultSet rs = s.executeQuery("SELECT count(*) FROM item")) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    @Test
    void runsOnThisJupiterVersion() {
        String version = Test.class.getPackage().getImplementationVersion();
        org.slf4j.LoggerFactory.getLogger(CompatibilityTest.class).info("JUnit Jupiter API {}", version);
        Assertions.assertEquals(System.getProperty("junit.compat.version", version), version);
        Assertions.assertNotNull(ReflectionUtils.class);
    }

    @RepeatedTest(3)
    void eachTestHasAFreshClusterByParameter(Connection c, PgliteCluster cluster) throws SQLException {
        Assertions.assertEquals(1, insertAndCount(c));
        Assertions.assertTrue(CLUSTERS.add(cluster), "a new cluster for each repetition");
    }

    @Test
    void fieldsAreInjected() throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            Assertions.assertEquals(1, insertAndCount(c));
            Assertions.assertEquals(url, c.getMetaData().getURL());
        }
    }

    @Nested
    class Inner {
        @Test
        void nestedTestsToo(Connection c) throws SQLException {
            Assertions.assertEquals(1, insertAndCount(c));
        }
    }
}
