package io.pglite.spock

import io.pglite.cluster.PgliteCluster
import java.sql.Connection
import javax.sql.DataSource
import spock.lang.Shared
import spock.lang.Specification
import spock.lang.Stepwise

/** @Shared fields: one cluster for the spec, set before setupSpec(), beside per-iteration ones. */
@Stepwise // the features build on each other's rows, in order
@PgliteSpec(database = 'app', user = 'owner', password = 's3cret')
class SharedSpec extends Specification {
    @Shared @PgliteResource DataSource sharedDataSource
    @Shared @PgliteResource PgliteCluster sharedCluster
    @Shared @JdbcUrl String sharedUrl
    @JdbcUrl String ownUrl

    /** What setupSpec saw, checked by the features. */
    @Shared String seenInSetupSpec

    def setupSpec() {
        seenInSetupSpec = sharedUrl
        sharedDataSource.connection.withCloseable {
            it.createStatement().execute('CREATE TABLE visit (feature text NOT NULL)')
        }
    }

    private long visit(String feature) {
        sharedDataSource.connection.withCloseable { c ->
            c.createStatement().withCloseable { s ->
                s.execute("INSERT INTO visit VALUES ('$feature')")
                def rs = s.executeQuery('SELECT count(*) FROM visit')
                rs.next()
                rs.getLong(1)
            }
        }
    }

    def "setupSpec ran on the shared cluster, with the configured database, user and password"() {
        expect:
        seenInSetupSpec == sharedUrl
        sharedUrl == sharedCluster.jdbcUrl()
        sharedUrl.endsWith('/app')
        sharedCluster.username() == 'owner'
        sharedCluster.password() == 's3cret'
        visit('first') == 1
    }

    def "a later feature sees the rows of the earlier one (iteration #i)"() {
        expect:
        visit("second-$i") == i + 1

        where:
        i << [1, 2]
    }

    def "a non-shared field still gets a cluster of its own"() {
        expect:
        ownUrl != sharedUrl
        ownUrl.endsWith('/app')
        java.sql.DriverManager.getConnection(ownUrl, 'owner', 's3cret').withCloseable { Connection c ->
            def rs = c.createStatement().executeQuery(
                    "SELECT count(*) FROM pg_tables WHERE tablename = 'visit'")
            rs.next()
            rs.getLong(1)
        } == 0
        visit('third') == 4
    }
}
