package io.pglite.spock

import java.sql.Connection
import spock.lang.Specification

/**
 * {@code @PgliteSpec(version = "17")} with pgvector: the distribution comes from io.pglite:pglite-distribution-pg17
 * (a test dependency of this module).
 */
@PgliteSpec(version = '17', extensions = 'vector')
class Pg17VectorSpec extends Specification {
    @PgliteResource Connection connection

    private List<List<Object>> rows(String sql) {
        connection.createStatement().withCloseable { s ->
            def rs = s.executeQuery(sql)
            def result = []
            while (rs.next()) {
                result << (1..rs.metaData.columnCount).collect { rs.getObject(it) }
            }
            result
        }
    }

    def "the injected connection is PostgreSQL 17.5 with pgvector"() {
        expect:
        rows('SHOW server_version_num') == [['170005']]
        rows("SELECT count(*) FROM pg_extension WHERE extname = 'vector'") == [[1L]]

        when:
        connection.createStatement().withCloseable {
            it.execute('CREATE TABLE item (id int PRIMARY KEY, embedding vector(3))')
            it.execute("INSERT INTO item VALUES (1, '[1,2,3]'), (2, '[3,2,1]'), (3, '[1,1,1]')")
        }
        def found = rows("SELECT id, embedding <-> '[1,1,2]' FROM item ORDER BY embedding <-> '[1,1,2]'")

        then: 'Euclidean distances to [1,1,2]: 1, sqrt(2), sqrt(6)'
        found*.get(0) == [3, 1, 2]
        Math.abs(found[0][1] - 1.0d) < 1e-6
        Math.abs(found[1][1] - Math.sqrt(2)) < 1e-6
        Math.abs(found[2][1] - Math.sqrt(6)) < 1e-6
    }
}
