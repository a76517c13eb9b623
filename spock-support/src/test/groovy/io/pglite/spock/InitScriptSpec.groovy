package io.pglite.spock

import java.sql.Connection
import spock.lang.Shared
import spock.lang.Specification
import spock.lang.Stepwise

/**
 * Init scripts run once, into the template: every cluster of the spec (four iterations, four clusters) sees the
 * same clock_timestamp() written by the script, and starts with no notes.
 */
@Stepwise
@PgliteSpec(initScripts = 'schema.sql', extensions = 'pgcrypto')
class InitScriptSpec extends Specification {
    @PgliteResource Connection connection
    @JdbcUrl String url

    @Shared Set<String> migratedAt = []
    @Shared Set<String> urls = []

    def "each cluster starts from the migrated template (#n)"() {
        when:
        def rs = connection.createStatement().executeQuery(
                "SELECT (SELECT at::text FROM migrated), (SELECT count(*) FROM note), encode(digest('abc', 'sha1'), 'hex')")
        rs.next()
        migratedAt << rs.getString(1)
        urls << url
        connection.createStatement().execute("INSERT INTO note (body) VALUES ('left behind')")

        then:
        rs.getLong(2) == 0
        rs.getString(3) == 'a9993e364706816aba3e25717850c26c9cd0d89d'

        where:
        n << (1..4)
    }

    def "four clusters, one run of the script"() {
        expect:
        urls.size() == 4
        migratedAt.size() == 1
    }
}
