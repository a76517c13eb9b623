package io.pglite.extensions;

import static org.assertj.core.api.Assertions.assertThat;

import io.pglite.cluster.PgliteCluster;
import io.pglite.distribution.Distribution;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every extension bundle of a distribution loads and answers a query that needs its side module. One smoke
 * table for every distribution (PostgreSQL 18 in core-runtime, 17 in core-runtime/pg17, which uses this class
 * from core-runtime's test jar): a subclass names its distribution.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class BundledExtensionsContract {

    /**
     * Per bundle: setup statements, then a query whose single value (as text) must equal the expected one.
     * Bundles without a control file are plain loadable modules (LOAD).
     */
    private static final Map<String, String[]> SMOKE = new LinkedHashMap<>();
    /** Smoke tests that differ on PostgreSQL 17, by bundle. */
    private static final Map<String, String[]> SMOKE_17 = new LinkedHashMap<>();

    static {
        smoke("amcheck", "SELECT bt_index_check('pg_class_oid_index'::regclass)::text", "",
                "CREATE EXTENSION amcheck");
        smoke("auto_explain", "SHOW auto_explain.log_min_duration", "-1", "LOAD 'auto_explain'");
        smoke("bloom", "SELECT count(*) FROM bloomed WHERE a = 3", "1", "CREATE EXTENSION bloom",
                "CREATE TABLE bloomed (a int, b int)", "INSERT INTO bloomed SELECT g, g FROM generate_series(1, 100) g",
                "CREATE INDEX ON bloomed USING bloom (a, b)");
        smoke("btree_gin", "SELECT count(*) FROM gin_t WHERE a = 5", "1", "CREATE EXTENSION btree_gin",
                "CREATE TABLE gin_t (a int)", "INSERT INTO gin_t SELECT generate_series(1, 50)",
                "CREATE INDEX ON gin_t USING gin (a)");
        smoke("btree_gist", "SELECT count(*) FROM gist_t WHERE a = 5", "1", "CREATE EXTENSION btree_gist",
                "CREATE TABLE gist_t (a int)", "INSERT INTO gist_t SELECT generate_series(1, 50)",
                "CREATE INDEX ON gist_t USING gist (a)");
        smoke("citext", "SELECT ('Hello'::citext = 'hELLO'::citext)::text", "true", "CREATE EXTENSION citext");
        smoke("cube", "SELECT cube_dim(cube(array[1,2,3]))::text", "3", "CREATE EXTENSION cube");
        smoke("dict_int", "SELECT ts_lexize('intdict', '1234567890')::text", "{123456}",
                "CREATE EXTENSION dict_int");
        smoke("dict_xsyn", "SELECT ts_lexize('xsyn', 'supernova')::text", "{sn,sne,1987a}",
                "CREATE EXTENSION dict_xsyn",
                "ALTER TEXT SEARCH DICTIONARY xsyn (RULES = 'xsyn_sample', KEEPORIG = false)");
        smoke("earthdistance", "SELECT round(earth_distance(ll_to_earth(0, 0), ll_to_earth(0, 1)))::text",
                "111320", "CREATE EXTENSION IF NOT EXISTS cube", "CREATE EXTENSION earthdistance");
        smoke("file_fdw", "SELECT count(*)::text FROM pg_foreign_data_wrapper WHERE fdwname = 'file_fdw'", "1",
                "CREATE EXTENSION file_fdw");
        smoke("fuzzystrmatch", "SELECT levenshtein('kitten', 'sitting')::text", "3",
                "CREATE EXTENSION fuzzystrmatch");
        smoke("hstore", "SELECT ('a=>1, b=>2'::hstore -> 'b')", "2", "CREATE EXTENSION hstore");
        smoke("intarray", "SELECT ('{1,2,3}'::int[] & '{2,3,4}'::int[])::text", "{2,3}",
                "CREATE EXTENSION intarray");
        smoke("isn", "SELECT '978-0-393-04002-9'::isbn13::text", "978-0-393-04002-9", "CREATE EXTENSION isn");
        smoke("lo", "SELECT count(*)::text FROM pg_proc WHERE proname = 'lo_manage'", "1", "CREATE EXTENSION lo");
        smoke("ltree", "SELECT ('a.b.c'::ltree <@ 'a.b'::ltree)::text", "true", "CREATE EXTENSION ltree");
        smoke("pageinspect", "SELECT (lower > 0)::text FROM page_header(get_raw_page('pg_class', 0))", "true",
                "CREATE EXTENSION pageinspect");
        smoke("passwordcheck", "SHOW passwordcheck.min_password_length", "8B", "LOAD 'passwordcheck'");
        smoke("pg_buffercache", "SELECT (count(*) > 0)::text FROM pg_buffercache", "true",
                "CREATE EXTENSION pg_buffercache");
        smoke("pg_freespacemap", "SELECT (count(*) > 0)::text FROM pg_freespace('pg_class')", "true",
                "CREATE EXTENSION pg_freespacemap");
        smoke("pg_logicalinspect", "SELECT count(*)::text FROM pg_proc WHERE proname LIKE 'pg_get_logical_snapshot%'",
                "2", "CREATE EXTENSION pg_logicalinspect");
        smoke("pg_overexplain", "SELECT 'loaded'", "loaded", "LOAD 'pg_overexplain'");
        smoke("pg_stat_statements", "SELECT count(*)::text FROM pg_extension WHERE extname = 'pg_stat_statements'",
                "1", "CREATE EXTENSION pg_stat_statements");
        smoke("pg_surgery", "SELECT count(*)::text FROM pg_proc WHERE proname = 'heap_force_kill'", "1",
                "CREATE EXTENSION pg_surgery");
        smoke("pg_trgm", "SELECT round(similarity('word', 'words')::numeric, 3)::text", "0.571",
                "CREATE EXTENSION pg_trgm");
        smoke("pg_visibility", "SELECT (count(*) > 0)::text FROM pg_visibility_map('pg_class')", "true",
                "CREATE EXTENSION pg_visibility");
        smoke("pg_walinspect", "SELECT (count(*) >= 0)::text FROM pg_get_wal_records_info("
                + "pg_current_wal_lsn() - 1000, pg_current_wal_lsn())", "true", "CREATE EXTENSION pg_walinspect");
        smoke("pgcrypto", "SELECT encode(digest('abc', 'sha256'), 'hex')",
                "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", "CREATE EXTENSION pgcrypto");
        smoke("seg", "SELECT seg_size('1.5 .. 2.5'::seg)::text", "1", "CREATE EXTENSION seg");
        smoke("spi", "SELECT count(*)::text FROM pg_extension WHERE extname IN "
                + "('autoinc', 'insert_username', 'moddatetime', 'refint')", "4",
                "CREATE EXTENSION autoinc", "CREATE EXTENSION insert_username", "CREATE EXTENSION moddatetime",
                "CREATE EXTENSION refint");
        smoke("tablefunc", "SELECT count(*)::text FROM normal_rand(5, 0, 1)", "5", "CREATE EXTENSION tablefunc");
        smoke("tcn", "SELECT count(*)::text FROM pg_proc WHERE proname = 'triggered_change_notification'", "1",
                "CREATE EXTENSION tcn");
        smoke("tsm_system_rows", "SELECT count(*)::text FROM pg_class TABLESAMPLE SYSTEM_ROWS(5)", "5",
                "CREATE EXTENSION tsm_system_rows");
        smoke("tsm_system_time", "SELECT (count(*) >= 0)::text FROM pg_class TABLESAMPLE SYSTEM_TIME(1000)", "true",
                "CREATE EXTENSION tsm_system_time");
        smoke("unaccent", "SELECT unaccent('Hôtel Crème Brûlée')", "Hotel Creme Brulee", "CREATE EXTENSION unaccent");
        smoke("uuid-ossp", "SELECT length(uuid_generate_v4()::text)::text", "36", "CREATE EXTENSION \"uuid-ossp\"");
        // Bundles of PostgreSQL 17 (PGlite 0.4.5) only.
        smoke("age", "SELECT a::text FROM ag_catalog.cypher('smoke_graph', $$ RETURN 1 + 2 $$) AS (a ag_catalog.agtype)",
                "3", "CREATE EXTENSION age", "LOAD 'age'", "SET search_path = ag_catalog, ext_age, public",
                "SELECT ag_catalog.create_graph('smoke_graph')");
        smoke("pg_hashids", "SELECT id_decode_once(id_encode(1001, 'salt', 4), 'salt', 4)::text", "1001",
                "CREATE EXTENSION pg_hashids");
        smoke("pg_ivm", "SELECT c::text FROM ivm_mv", "3", "CREATE EXTENSION pg_ivm", "CREATE TABLE ivm_base (a int)",
                "INSERT INTO ivm_base VALUES (1), (2)",
                "SELECT pgivm.create_immv('ivm_mv', 'SELECT count(*) AS c FROM ivm_base')",
                "INSERT INTO ivm_base VALUES (3)");
        smoke("pg_textsearch", "SELECT count(*)::text FROM pg_indexes WHERE indexname = 'bm25_docs_idx'", "1",
                "CREATE EXTENSION pg_textsearch", "CREATE TABLE bm25_docs (t text)",
                "INSERT INTO bm25_docs VALUES ('the quick brown fox'), ('a lazy dog')",
                "CREATE INDEX bm25_docs_idx ON bm25_docs USING bm25 (t) WITH (text_config = 'english')");
        smoke("pg_uuidv7", "SELECT substr(uuid_generate_v7()::text, 15, 1)", "7", "CREATE EXTENSION pg_uuidv7");
        smoke("pgtap", "SELECT ok(true, 'works')", "ok 1 - works", "CREATE EXTENSION pgtap", "SELECT no_plan()");
        // PostgreSQL 17's passwordcheck has no settings: the role it refuses is the proof that it is loaded.
        SMOKE_17.put("passwordcheck", new String[] {"SELECT count(*)::text FROM pg_roles WHERE rolname = 'pwc_short'",
                "0", "LOAD 'passwordcheck'", "DO $$ BEGIN CREATE ROLE pwc_short PASSWORD 'abc'; EXCEPTION WHEN"
                        + " invalid_parameter_value THEN RAISE NOTICE 'refused'; END $$"});
        smoke("postgres_fdw", "SELECT count(*)::text FROM pg_foreign_server WHERE srvname = 'smoke_server'", "1",
                "CREATE EXTENSION postgres_fdw",
                // the validator (C code in postgres_fdw.so) checks the options
                "CREATE SERVER smoke_server FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host 'localhost')");
        smoke("vector", "SELECT ('[1,2,3]'::vector <-> '[1,2,5]'::vector)::text", "2", "CREATE EXTENSION vector");
    }

    private static void smoke(String bundle, String query, String expected, String... setup) {
        String[] entry = new String[setup.length + 2];
        entry[0] = query;
        entry[1] = expected;
        System.arraycopy(setup, 0, entry, 2, setup.length);
        SMOKE.put(bundle, entry);
    }

    private PgliteCluster cluster;

    /**
     * The distribution under test.
     *
     * @return the distribution
     */
    protected abstract Distribution distribution();

    @BeforeAll
    void start() {
        cluster = PgliteCluster.builder().distribution(distribution()).build();
    }

    @AfterAll
    void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    Stream<Arguments> bundles() {
        List<Arguments> args = new ArrayList<>();
        for (String name : distribution().extensionNames()) {
            args.add(Arguments.of(name));
        }
        return args.stream();
    }

    @Test
    void everyBundleHasASmokeTest() {
        assertThat(SMOKE.keySet()).containsAll(distribution().extensionNames());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("bundles")
    void loadsAndAnswers(String bundle) throws SQLException {
        String[] smoke = distribution().majorVersion() == 17 && SMOKE_17.containsKey(bundle) ? SMOKE_17.get(bundle)
                : SMOKE.get(bundle);
        assertThat(cluster).as("cluster").isNotNull();
        assertThat(smoke).as("smoke test for " + bundle).isNotNull();
        String schema = "ext_" + bundle.replace('-', '_');
        try (Connection c = DriverManager.getConnection(cluster.jdbcUrl(), "postgres", "");
                Statement s = c.createStatement()) {
            // Each bundle in its own schema, so extensions with overlapping objects do not meet.
            s.execute("CREATE SCHEMA " + schema);
            s.execute("SET search_path = " + schema + ", public");
            for (int i = 2; i < smoke.length; i++) {
                s.execute(smoke[i]);
            }
            try (ResultSet rs = s.executeQuery(smoke[0])) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getString(1)).isEqualTo(smoke[1]);
            }
        }
    }

    @Test
    void anExtensionThatIsNotBundledIsAClearError() throws SQLException {
        try (Connection c = DriverManager.getConnection(cluster.jdbcUrl(), "postgres", "");
                Statement s = c.createStatement()) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> s.execute("CREATE EXTENSION postgis"))
                    .isInstanceOf(SQLException.class)
                    .hasMessageContaining("extension \"postgis\" is not available");
        }
    }
}
