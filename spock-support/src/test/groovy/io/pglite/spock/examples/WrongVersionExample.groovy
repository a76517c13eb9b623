package io.pglite.spock.examples

import io.pglite.spock.PgliteResource
import io.pglite.spock.PgliteSpec
import java.sql.Connection
import spock.lang.Specification

/** Run by PgliteSpecExtensionSpec: a PostgreSQL version this build does not have. */
@PgliteSpec(version = '13')
class WrongVersionExample extends Specification {
    @PgliteResource Connection connection

    def "never runs"() {
        expect:
        connection != null
    }
}
