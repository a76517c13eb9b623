package io.pglite.junit5;

import io.pglite.cluster.PgliteCluster;
import io.pglite.cluster.TemplateSetup;
import java.sql.Connection;
import java.sql.DriverManager;
import liquibase.Scope;
import liquibase.command.CommandScope;
import liquibase.command.core.UpdateCommandStep;
import liquibase.command.core.helpers.DbUrlConnectionArgumentsCommandStep;
import liquibase.database.Database;
import liquibase.database.DatabaseFactory;
import liquibase.database.jvm.JdbcConnection;
import liquibase.resource.ClassLoaderResourceAccessor;

/**
 * A Liquibase change log as a template setup. Loaded only when {@link PgliteTest#liquibaseChangeLog()} is used,
 * so Liquibase stays an optional dependency.
 */
final class LiquibaseMigration {
    private LiquibaseMigration() {}

    static TemplateSetup setup(String changeLog, ClassLoader loader) {
        String path = changeLog.startsWith("classpath:") ? changeLog.substring("classpath:".length()) : changeLog;
        path = path.startsWith("/") ? path.substring(1) : path;
        if (loader.getResource(path) == null) {
            throw new IllegalArgumentException("@PgliteTest(liquibaseChangeLog): no class-path resource " + changeLog);
        }
        int slash = path.lastIndexOf('/');
        // Included change logs usually sit beside or below the master: all of them make the id.
        String dir = slash < 0 ? "" : path.substring(0, slash);
        String id = "liquibase:" + TemplateSetup.sha256(path + "\n" + ClasspathContent.digest(loader, dir));
        String file = path;
        return TemplateSetup.of(id, cluster -> update(cluster, file, loader));
    }

    private static void update(PgliteCluster cluster, String changeLog, ClassLoader loader) throws Exception {
        try (Connection c = DriverManager.getConnection(cluster.jdbcUrl(), cluster.username(),
                cluster.password() == null ? "" : cluster.password())) {
            Database database = DatabaseFactory.getInstance().findCorrectDatabaseImplementation(new JdbcConnection(c));
            Scope.child(Scope.Attr.resourceAccessor, new ClassLoaderResourceAccessor(loader), () -> new CommandScope(
                    UpdateCommandStep.COMMAND_NAME)
                    .addArgumentValue(DbUrlConnectionArgumentsCommandStep.DATABASE_ARG, database)
                    .addArgumentValue(UpdateCommandStep.CHANGELOG_FILE_ARG, changeLog)
                    .execute());
        }
    }
}
