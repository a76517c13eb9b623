package io.pglite.spock.examples

import io.pglite.cluster.PgliteCluster
import io.pglite.spock.JdbcUrl
import io.pglite.spock.PgliteResource
import io.pglite.spock.PgliteSpec
import java.sql.Connection
import java.util.concurrent.ConcurrentHashMap
import spock.lang.Specification

/** Run by PgliteSpecExtensionSpec to measure the cost of a fresh cluster per iteration. */
@PgliteSpec(initScripts = 'schema.sql')
class ManyIterationsExample extends Specification {
    static final Set<String> URLS = ConcurrentHashMap.newKeySet()
    /** The clusters themselves: a closed cluster's port may be handed to a later one, so URLs can repeat. */
    static final Set<PgliteCluster> CLUSTERS = Collections.synchronizedSet(Collections.newSetFromMap(new IdentityHashMap<>()))
    static int iterations = 40

    @PgliteResource Connection connection
    @JdbcUrl String url
    @PgliteResource PgliteCluster cluster

    def "iteration #i inserts a row into an empty table"() {
        when:
        URLS << url
        CLUSTERS << cluster
        def s = connection.createStatement()
        s.execute("INSERT INTO note (body) VALUES ('n$i')")
        def rs = s.executeQuery('SELECT count(*) FROM note')
        rs.next()

        then:
        rs.getLong(1) == 1

        where:
        i << (1..iterations)
    }
}
