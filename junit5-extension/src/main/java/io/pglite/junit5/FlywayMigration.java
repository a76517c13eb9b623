package io.pglite.junit5;

import io.pglite.cluster.PgliteCluster;
import io.pglite.cluster.TemplateSetup;
import java.util.ArrayList;
import java.util.List;
import org.flywaydb.core.Flyway;

/**
 * Flyway migrations as a template setup. Loaded only when {@link PgliteTest#flywayLocations()} is used, so
 * Flyway stays an optional dependency.
 */
final class FlywayMigration {
    private FlywayMigration() {}

    static TemplateSetup setup(List<String> locations, ClassLoader loader) {
        List<String> parts = new ArrayList<>();
        for (String location : locations) {
            if (location.startsWith("filesystem:")) {
                throw new IllegalArgumentException("@PgliteTest(flywayLocations): only class-path locations are"
                        + " supported, got " + location);
            }
            String dir = location.startsWith("classpath:") ? location.substring("classpath:".length()) : location;
            parts.add(location + "=" + ClasspathContent.digest(loader, dir));
        }
        String id = "flyway:" + TemplateSetup.sha256(String.join("\n", parts));
        return TemplateSetup.of(id, cluster -> migrate(cluster, locations, loader));
    }

    private static void migrate(PgliteCluster cluster, List<String> locations, ClassLoader loader) {
        Flyway.configure(loader)
                .dataSource(cluster.jdbcUrl(), cluster.username(), cluster.password())
                // Flyway's default lock is a transaction-scoped advisory lock held open on one connection while
                // another migrates; a cluster has one PostgreSQL session, which a connection inside a
                // transaction keeps, so the migrating connection would wait for ever. A session-level lock
                // takes no transaction.
                .configuration(java.util.Map.of("flyway.postgresql.transactional.lock", "false"))
                .locations(locations.toArray(String[]::new))
                .load()
                .migrate();
    }
}
