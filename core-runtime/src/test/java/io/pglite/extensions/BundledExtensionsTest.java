package io.pglite.extensions;

import static org.assertj.core.api.Assertions.assertThat;

import io.pglite.cluster.PgliteCluster;
import io.pglite.distribution.Distribution;
import io.pglite.distribution.ExtensionBundle;
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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every contrib bundle of the distribution loads and answers a query that needs its side module. */
class BundledExtensionsTest {

    /**
     * Per bundle: setup statements, then a query whose single value (as text) must equal the expected one.
     * Bundles without a control file are plain loadable modules (LOAD).
     */
    private static final Map<String, String[]> SMOKE = new LinkedHashMap<>();

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
    }

    private static void smoke(String bundle, String query, String expected, String... setup) {
        String[] entry = new String[setup.length + 2];
        entry[0] = query;
        entry[1] = expected;
        System.arraycopy(setup, 0, entry, 2, setup.length);
        SMOKE.put(bundle, entry);
    }

    private static PgliteCluster cluster;

    @BeforeAll
    static void start() {
        cluster = PgliteCluster.builder().build();
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    static Stream<Arguments> bundles() {
        List<Arguments> args = new ArrayList<>();
        for (String name : Distribution.pg18().extensionNames()) {
            args.add(Arguments.of(name));
        }
        return args.stream();
    }

    @Test
    void everyBundleHasASmokeTest() {
        assertThat(SMOKE.keySet()).containsExactlyInAnyOrderElementsOf(Distribution.pg18().extensionNames());
    }

    @Test
    void bundlesDeclareTheirExtensions() {
        assertThat(ExtensionBundle.read(Distribution.pg18(), "spi").controlNames())
                .containsExactly("autoinc", "insert_username", "moddatetime", "refint");
        assertThat(ExtensionBundle.read(Distribution.pg18(), "intarray").files())
                .anySatisfy(f -> assertThat(f.path()).isEqualTo("/pglite/lib/postgresql/_int.so"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("bundles")
    void loadsAndAnswers(String bundle) throws SQLException {
        String[] smoke = SMOKE.get(bundle);
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
