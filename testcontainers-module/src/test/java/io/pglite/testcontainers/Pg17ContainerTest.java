package io.pglite.testcontainers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pglite.distribution.Distribution;
import java.io.File;
import java.lang.reflect.InvocationTargetException;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

/**
 * PostgreSQL 17 with pgvector through Testcontainers' entry points (pglite-distribution-pg17 is a test dependency of
 * this module), and the error naming that artifact when it is missing (checked in a class loader without it).
 */
class Pg17ContainerTest {

    @Test
    void thePgvectorImageRunsPostgres17WithVector() throws SQLException {
        try (PgliteContainer<?> pg = new PgliteContainer<>("pgvector/pgvector:pg17")) {
            pg.start();
            try (Connection c = pg.createConnection("")) {
                assertPostgres17WithVector(c);
            }
        }
    }

    @Test
    void theJdbcUrlWithVersion17RunsPostgres17WithVector() throws SQLException {
        try (Connection c = DriverManager.getConnection("jdbc:tc:pglite:17:///vectors")) {
            assertPostgres17WithVector(c);
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT current_database()")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getString(1)).isEqualTo("vectors");
            }
        }
    }

    @Test
    void postgres17ImageNamesAreAcceptedWithTheArtifact() {
        assertThat(Distribution.available()).containsKey(17);
        for (String name : List.of("postgres:17", "postgres:17.5", "postgres:17.2", "postgres:17-alpine", "pgvector/pgvector:pg17",
                "pgvector/pgvector:0.8.0-pg17")) {
            assertThat(new PgliteContainer<>(name).getDockerImageName()).as(name).isEqualTo(name);
        }
        assertThatThrownBy(() -> new PgliteContainer<>("pgvector/pgvector:pg16"))
                .hasMessageContaining("PostgreSQL 16 with pgvector is not available");
    }

    @Test
    void withoutTheArtifactPostgres17NamesIt() throws Exception {
        try (URLClassLoader loader = classPathWithoutPg17()) {
            Class<?> container = Class.forName(PgliteContainer.class.getName(), true, loader);
            assertThat(container).isNotSameAs(PgliteContainer.class);
            Class<?> distribution = Class.forName(Distribution.class.getName(), true, loader);
            assertThat(new ArrayList<Object>(((Map<?, ?>) distribution.getMethod("available").invoke(null)).keySet()))
                    .as("distributions seen without pglite-distribution-pg17").containsExactly(18);
            for (String name : List.of("postgres:17", "pgvector/pgvector:pg17")) {
                assertThatThrownBy(() -> construct(container, name)).as(name)
                        .isInstanceOf(IllegalArgumentException.class)
                        .hasMessageContaining("PgliteContainer cannot run image '" + name)
                        .hasMessageContaining("PostgreSQL 17 is a separate artifact: add"
                                + " io.pglite:pglite-distribution-pg17")
                        .hasMessageContaining("Supported image names: postgres, postgres:latest, postgres:18");
            }
            // PostgreSQL 18 still works there: the loader is complete apart from the one artifact.
            assertThat(construct(container, "postgres:18")).isNotNull();
        }
    }

    private static Object construct(Class<?> container, String image) throws Exception {
        try {
            return container.getConstructor(String.class).newInstance(image);
        } catch (InvocationTargetException e) {
            throw (Exception) e.getCause();
        }
    }

    /**
     * This test's class path (surefire sets {@code java.class.path} to it) without the entry holding
     * pglite-distribution-pg17, over the platform class loader: the ServiceLoader there finds no PostgreSQL 17.
     */
    private static URLClassLoader classPathWithoutPg17() throws Exception {
        Path pg17 = location(Class.forName("io.pglite.distribution.pg17.Pg17DistributionProvider"));
        List<URL> kept = new ArrayList<>();
        int removed = 0;
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            Path p = Path.of(entry).toAbsolutePath();
            if (p.toFile().exists() && p.toRealPath().equals(pg17)) {
                removed++;
            } else {
                kept.add(p.toUri().toURL());
            }
        }
        assertThat(removed).as("class path entries holding pglite-distribution-pg17 (%s)", pg17).isEqualTo(1);
        return new URLClassLoader("without-pg17", kept.toArray(URL[]::new), ClassLoader.getPlatformClassLoader());
    }

    private static Path location(Class<?> c) throws URISyntaxException, java.io.IOException {
        return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()).toRealPath();
    }

    private static void assertPostgres17WithVector(Connection c) throws SQLException {
        try (Statement s = c.createStatement()) {
            try (ResultSet rs = s.executeQuery("SHOW server_version_num")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getString(1)).isEqualTo("170005");
            }
            s.execute("CREATE EXTENSION vector");
            try (ResultSet rs = s.executeQuery("SELECT '[1,2,3]'::vector <-> '[3,2,1]', '[1,2,3]'::vector <#> '[3,2,1]',"
                    + " '[1,0]'::vector <=> '[0,1]'")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getDouble(1)).isCloseTo(Math.sqrt(8), Offset.offset(1e-6)); // Euclidean
                assertThat(rs.getDouble(2)).isEqualTo(-10.0); // negative inner product
                assertThat(rs.getDouble(3)).isEqualTo(1.0); // cosine distance of orthogonal vectors
            }
        }
    }
}
