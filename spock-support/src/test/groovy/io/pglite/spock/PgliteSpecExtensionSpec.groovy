package io.pglite.spock

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass

import io.pglite.spock.examples.FailingExample
import io.pglite.spock.examples.KeptFailingExample
import io.pglite.spock.examples.ManyIterationsExample
import io.pglite.spock.examples.WrongFieldExample
import io.pglite.spock.examples.WrongVersionExample
import java.sql.DriverManager
import java.sql.SQLException
import org.junit.platform.engine.TestExecutionResult
import org.junit.platform.testkit.engine.EngineExecutionResults
import org.junit.platform.testkit.engine.EngineTestKit
import org.junit.platform.testkit.engine.Events
import org.slf4j.LoggerFactory
import spock.lang.Specification

/** The extension as Spock runs it: example specs executed by the "spock" engine through EngineTestKit. */
class PgliteSpecExtensionSpec extends Specification {

    private static EngineExecutionResults run(Class<?> specClass) {
        EngineTestKit.engine('spock').selectors(selectClass(specClass)).execute()
    }

    private static Throwable failureOf(Events events) {
        def failed = events.failed().stream().findFirst().orElseThrow()
        failed.getPayload(TestExecutionResult).orElseThrow().throwable.orElseThrow()
    }

    private static boolean reachable(String jdbcUrl) {
        try {
            DriverManager.getConnection(jdbcUrl + '?connectTimeout=2', 'postgres', '').close()
            true
        } catch (SQLException ignored) {
            false
        }
    }

    def "a failing feature's report names its cluster with a psql command, and the cluster is closed"() {
        given:
        FailingExample.inspected = 'not run'

        when:
        def tests = run(FailingExample).testEvents()

        then:
        tests.failed().count() == 1
        def failure = failureOf(tests)
        failure.message.contains('sum == 3')
        def suppressed = failure.suppressed*.message
        suppressed.any {
            it.startsWith('PGlite cluster of this iteration: JDBC URL ' + FailingExample.failedUrl) &&
                    it.contains('psql "postgresql://postgres@127.0.0.1:') && !it.contains('kept')
        }
        FailingExample.inspected == null
    }

    def "keepFailed keeps a failed feature's cluster running until the Spock run ends"() {
        given:
        FailingExample.inspected = 'not run'

        when:
        def tests = run(KeptFailingExample).testEvents()

        then:
        tests.failed().count() == 1
        failureOf(tests).suppressed*.message.any {
            it.contains('kept running until the Spock run ends') && it.contains(FailingExample.failedUrl)
        }
        FailingExample.inspected == 'evidence'

        and: 'released when that Spock run ended'
        !reachable(FailingExample.failedUrl)
    }

    def "an unavailable version fails the spec with the available ones, and no feature runs"() {
        when:
        def results = run(WrongVersionExample)

        then:
        results.testEvents().started().count() == 0
        def failure = failureOf(results.containerEvents())
        failure instanceof org.spockframework.runtime.extension.ExtensionException
        failure.message.contains('@PgliteSpec(version = "13"): PostgreSQL 13 is not available; available: 17 (17.5), 18 (18.6)')
    }

    def "a field of an unsupported type fails the spec naming the field"() {
        when:
        def results = run(WrongFieldExample)

        then:
        results.testEvents().started().count() == 0
        failureOf(results.containerEvents()).message.contains(
                'cannot inject field url of WrongFieldExample (java.lang.String)')
    }

    def "forty iterations, forty clusters"() {
        given:
        run(ManyIterationsExample) // warm-up: class loading, JIT, the template of schema.sql
        ManyIterationsExample.URLS.clear()
        ManyIterationsExample.CLUSTERS.clear()

        when:
        long start = System.nanoTime()
        def tests = run(ManyIterationsExample).testEvents()
        double ms = (System.nanoTime() - start) / 1e6

        then:
        // the feature itself is a test node too: count the iterations
        tests.succeeded().filter { it.testDescriptor.uniqueId.lastSegment.type == 'iteration' }.count() ==
                ManyIterationsExample.iterations
        tests.failed().count() == 0
        ManyIterationsExample.CLUSTERS.size() == ManyIterationsExample.iterations
        ManyIterationsExample.URLS.every { !reachable(it) }

        cleanup:
        LoggerFactory.getLogger(PgliteSpecExtensionSpec).info('{} iterations with a fresh cluster each: {} ms, {} ms per iteration',
                ManyIterationsExample.iterations, Math.round(ms), String.format('%.1f', ms / ManyIterationsExample.iterations))
    }
}
