package io.pglite.samples.notes

import io.pglite.testcontainers.PgliteContainer
import org.postgresql.ds.PGSimpleDataSource
import org.testcontainers.spock.Testcontainers
import spock.lang.Shared
import spock.lang.Specification

/**
 * The same store, specified the Testcontainers way: Testcontainers' Spock extension starts a @Shared container
 * once for the specification and a non-shared one for every feature. PgliteContainer stands in for
 * PostgreSQLContainer, without Docker.
 */
@Testcontainers
class NoteStoreContainerSpec extends Specification {
    @Shared PgliteContainer shared = new PgliteContainer('postgres:18').withInitScript('db/notes-schema.sql')
    PgliteContainer perFeature = new PgliteContainer('postgres:18').withInitScript('db/notes-schema.sql')

    private static NoteStore store(PgliteContainer container) {
        def ds = new PGSimpleDataSource()
        ds.url = container.jdbcUrl
        ds.user = container.username
        ds.password = container.password
        new NoteStore(ds)
    }

    def "the shared container keeps what features write"() {
        when:
        store(shared).add('first', 'spock')

        then:
        store(shared).tagged('spock') == ['first']
    }

    def "a later feature sees it in the shared container, not in its own"() {
        expect:
        store(shared).tagged('spock') == ['first']
        store(perFeature).tagged('spock') == []
        shared.running && perFeature.running
        shared.jdbcUrl != perFeature.jdbcUrl
    }
}
