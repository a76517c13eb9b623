package io.pglite.spock

import io.pglite.cluster.PgliteCluster
import java.sql.Connection
import javax.sql.DataSource
import spock.lang.Shared
import spock.lang.Specification
import spock.lang.Stepwise

/**
 * Ordinary (not @Shared) fields: every feature and every iteration of a data-driven feature gets a cluster of
 * its own, and all four kinds of fields come from that same cluster.
 */
@Stepwise // the last feature checks what the others recorded
@PgliteSpec(initScripts = 'schema.sql')
class IsolationSpec extends Specification {
    @PgliteResource DataSource dataSource
    @PgliteResource Connection connection
    @PgliteResource PgliteCluster cluster
    @JdbcUrl String url

    /** The URL of every iteration's cluster, in order. */
    @Shared List<String> urls = []

    private static long insertAndCount(Connection c, String body) {
        c.createStatement().withCloseable { s ->
            s.execute("INSERT INTO note (body) VALUES ('$body')")
            def rs = s.executeQuery('SELECT count(*), string_agg(body, \',\') FROM note')
            rs.next()
            assert rs.getString(2) == body
            rs.getLong(1)
        }
    }

    private static boolean reachable(String jdbcUrl) {
        try {
            java.sql.DriverManager.getConnection(jdbcUrl + '?connectTimeout=2', 'postgres', '').close()
            true
        } catch (java.sql.SQLException ignored) {
            false
        }
    }

    def "a feature sees only its own row"() {
        expect:
        insertAndCount(connection, 'first') == 1
        cleanup:
        urls << url
    }

    def "another feature sees only its own row too"() {
        expect:
        dataSource.connection.withCloseable { insertAndCount(it, 'second') } == 1
        cleanup:
        urls << url
    }

    def "every iteration of a data-driven feature starts from the template (#body)"() {
        expect:
        insertAndCount(connection, body) == 1

        cleanup:
        urls << url

        where:
        body << ['a', 'b', 'c']
    }

    def "the fields of an iteration come from one cluster, and no two iterations shared one"() {
        expect:
        url == cluster.jdbcUrl()
        connection.metaData.URL == url
        dataSource.connection.withCloseable { it.metaData.URL } == url

        and: 'five earlier iterations, five clusters, all closed with their iteration'
        urls.size() == 5
        urls.toSet().size() == 5
        !urls.contains(url)
        urls.every { !reachable(it) }
    }
}
