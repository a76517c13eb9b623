package io.pglite.cluster;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Objects;

/**
 * Work done once into a template rather than into every cluster: schema scripts, migrations, reference data.
 * A cluster built with setups starts from a template that already holds their result; the template is built
 * the first time (a cluster is started on the previous template, the setup runs against it, PostgreSQL is shut
 * down cleanly and its data directory kept) and cached on disk like the initdb template, so later runs of the
 * suite, in this JVM or another, pay nothing for it.
 *
 * <p>The {@link #id()} stands for the result: two setups with the same id must produce the same database. Use
 * a digest of everything the setup reads (scripts, migration files), as {@link #sql(String)} does, so that a
 * changed script builds a new template instead of reusing a stale one.
 */
public interface TemplateSetup {

    /**
     * Identifies what this setup produces; part of the template's cache key.
     *
     * @return an id, stable across JVMs (for example a SHA-256 of the scripts)
     */
    String id();

    /**
     * Applies the setup to a cluster started on the previous template. It may run SQL with
     * {@link PgliteCluster#execute(String)} or connect through {@link PgliteCluster#jdbcUrl()} (Flyway,
     * Liquibase, any JDBC code). The cluster is closed by the caller.
     *
     * @param cluster the cluster to set up
     * @throws Exception if the setup fails; no template is stored and the build of the cluster fails
     */
    void apply(PgliteCluster cluster) throws Exception;

    /**
     * A setup that runs an SQL script: statements separated by semicolons, as psql runs a file, in one simple
     * query (dollar quoting, functions and DO blocks work; psql's backslash commands and {@code COPY FROM STDIN}
     * do not).
     *
     * @param script the SQL
     * @return a setup identified by the script's SHA-256
     */
    static TemplateSetup sql(String script) {
        Objects.requireNonNull(script, "script");
        return new KeyedSetup("sql:" + sha256(script), "SQL script", cluster -> cluster.execute(script));
    }

    /**
     * A setup from an id and an action. Setups with equal ids are equal.
     *
     * @param id what the action produces (see {@link #id()})
     * @param action the action
     * @return the setup
     */
    static TemplateSetup of(String id, Action action) {
        return new KeyedSetup(Objects.requireNonNull(id, "id"), "setup", Objects.requireNonNull(action, "action"));
    }

    /** What a setup does to a cluster. */
    @FunctionalInterface
    interface Action {
        /**
         * Sets up the cluster.
         *
         * @param cluster the cluster
         * @throws Exception on failure
         */
        void apply(PgliteCluster cluster) throws Exception;
    }

    /**
     * The SHA-256 of a text, in hex: a convenient id for setups made of files.
     *
     * @param text the text (UTF-8)
     * @return 64 hex digits
     */
    static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(
                    MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
