package io.pglite.spock.examples

import io.pglite.spock.JdbcUrl
import io.pglite.spock.PgliteResource
import io.pglite.spock.PgliteSpec
import java.sql.Connection
import java.sql.DriverManager
import java.sql.SQLException
import spock.lang.Specification

/** Run by PgliteSpecExtensionSpec: a failing feature, whose cluster may be kept for inspection. */
@PgliteSpec(initScripts = 'schema.sql')
class FailingExample extends Specification {
    /** The failed feature's URL, and what an inspector saw there after the feature (null if unreachable). */
    static volatile String failedUrl
    static volatile String inspected

    @PgliteResource Connection connection
    @JdbcUrl String url

    def "fails on purpose"() {
        given:
        failedUrl = url
        connection.createStatement().execute("INSERT INTO note (body) VALUES ('evidence')")
        def sum = 1 + 1

        expect:
        sum == 3
    }

    def cleanupSpec() {
        inspected = null
        try {
            DriverManager.getConnection(failedUrl, 'postgres', '').withCloseable { c ->
                def rs = c.createStatement().executeQuery('SELECT body FROM note')
                rs.next()
                inspected = rs.getString(1)
            }
        } catch (SQLException e) {
            inspected = null // closed with its feature, as it should be unless kept
        }
    }
}
