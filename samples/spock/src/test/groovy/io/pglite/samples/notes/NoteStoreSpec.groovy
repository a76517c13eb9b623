package io.pglite.samples.notes

import io.pglite.spock.JdbcUrl
import io.pglite.spock.PgliteResource
import io.pglite.spock.PgliteSpec
import java.sql.SQLException
import javax.sql.DataSource
import spock.lang.Shared
import spock.lang.Specification

/** Every feature and every iteration starts from the migrated template, in a cluster of its own. */
@PgliteSpec(flywayLocations = 'classpath:db/migration')
class NoteStoreSpec extends Specification {
    @PgliteResource DataSource dataSource
    @JdbcUrl String url

    @Shared @JdbcUrl String sharedUrl           // one cluster for the whole specification
    @Shared Set<String> urls = []

    NoteStore store

    def setup() {
        store = new NoteStore(dataSource)
        urls << url
    }

    def "finds notes by tag"() {
        given:
        store.add('buy milk', 'home', 'shopping')
        store.add('ship release', 'work')
        store.add('buy stamps', 'shopping')

        expect:
        store.tagged('shopping') == ['buy milk', 'buy stamps']
        store.tagged('garden') == []
    }

    def "full-text search stems '#query'"() {
        given:
        store.add('The cats are running')

        expect:
        store.search(query) == hits

        where:
        query     | hits
        'cat'     | 1
        'run'     | 1
        'dogs'    | 0
    }

    def "an empty note violates the table's check"() {
        when:
        store.add('')

        then:
        def e = thrown(SQLException)
        e.SQLState == '23514'
    }

    def "each iteration had a database of its own"() {
        expect: 'six clusters so far, none of them the shared one'
        urls.size() == 6
        !urls.contains(sharedUrl)
    }
}
