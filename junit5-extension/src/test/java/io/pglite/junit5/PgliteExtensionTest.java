package io.pglite.junit5;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;
import static org.junit.platform.testkit.engine.EventConditions.event;
import static org.junit.platform.testkit.engine.EventConditions.finishedWithFailure;
import static org.junit.platform.testkit.engine.EventConditions.test;
import static org.junit.platform.testkit.engine.TestExecutionResultConditions.instanceOf;
import static org.junit.platform.testkit.engine.TestExecutionResultConditions.message;

import io.pglite.junit5.examples.FailingExample;
import io.pglite.junit5.examples.IsolationExample;
import io.pglite.junit5.examples.MigrationsExample;
import io.pglite.junit5.examples.ParallelExample;
import io.pglite.junit5.examples.PerClassExample;
import io.pglite.junit5.examples.WrongVersionExample;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.platform.engine.reporting.ReportEntry;
import org.junit.platform.testkit.engine.EngineExecutionResults;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Event;
import org.junit.platform.testkit.engine.Events;

/** The extension as JUnit runs it: example classes executed through EngineTestKit. */
class PgliteExtensionTest {

    private static EngineExecutionResults run(Class<?> testClass, Map<String, String> parameters) {
        return EngineTestKit.engine("junit-jupiter").selectors(selectClass(testClass))
                .configurationParameters(parameters).execute();
    }

    private static void assertAllPassed(Events tests, long expected) {
        tests.failed().stream().forEach(e -> e.getPayload(org.junit.platform.engine.TestExecutionResult.class)
                .flatMap(org.junit.platform.engine.TestExecutionResult::getThrowable)
                .ifPresent(Throwable::printStackTrace));
        tests.assertStatistics(s -> s.started(expected).succeeded(expected).failed(0));
    }

    @Test
    void everyTestMethodAndInvocationGetsAFreshClusterByFieldAndParameter() {
        IsolationExample.CLUSTERS.clear();
        Events tests = run(IsolationExample.class, Map.of()).testEvents();
        assertAllPassed(tests, 9);
        assertThat(IsolationExample.CLUSTERS).hasSize(9);
    }

    @Test
    void aPerClassClusterIsSharedByTheClassItsLifecycleMethodsAndNestedClasses() {
        Events tests = run(PerClassExample.class, Map.of()).testEvents();
        assertAllPassed(tests, 3);
    }

    @Test
    void migrationsAndScriptsRunOnceIntoTheTemplate() {
        MigrationsExample.MIGRATED_AT.clear();
        assertAllPassed(run(MigrationsExample.class, Map.of()).testEvents(), 4);
        assertAllPassed(run(MigrationsExample.class, Map.of()).testEvents(), 4);
        // Eight clusters, one migration: every test saw the same time stamp written by V1.
        assertThat(MigrationsExample.MIGRATED_AT).hasSize(1);
    }

    @Test
    void parallelTestsOnFourThreadsEachHaveTheirOwnCluster() {
        ParallelExample.PEAK.set(0);
        Events tests = run(ParallelExample.class, Map.of(
                "junit.jupiter.execution.parallel.enabled", "true",
                "junit.jupiter.execution.parallel.mode.default", "concurrent",
                "junit.jupiter.execution.parallel.config.strategy", "fixed",
                "junit.jupiter.execution.parallel.config.fixed.parallelism", "4")).testEvents();
        assertAllPassed(tests, 12);
        assertThat(ParallelExample.PEAK.get()).as("tests running at once").isGreaterThan(1);
    }

    @Test
    void aFailingTestsReportNamesItsClusterWithAPsqlCommandAndTheClusterIsClosed() {
        FailingExample.inspected = "not run";
        EngineExecutionResults results = run(FailingExample.class, Map.of());
        Events tests = results.testEvents();
        tests.assertStatistics(s -> s.failed(1));
        Throwable failure = failureOf(tests);
        assertThat(failure).hasMessageContaining("on purpose");
        List<String> suppressed = Arrays.stream(failure.getSuppressed()).map(Throwable::getMessage).toList();
        assertThat(suppressed).anySatisfy(m -> assertThat(m).contains("PGlite cluster of this test")
                .contains(FailingExample.failedUrl).contains("psql \"postgresql://postgres@127.0.0.1:"));
        assertThat(reportEntries(results)).anySatisfy(e -> assertThat(e).contains(FailingExample.failedUrl));
        assertThat(FailingExample.inspected).isNull();
    }

    @Test
    void keepFailedKeepsAFailedTestsClusterRunningUntilTheRunEnds() {
        FailingExample.inspected = "not run";
        Events tests = run(FailingExample.class, Map.of(ClusterSpec.KEEP_FAILED_PROPERTY, "true")).testEvents();
        tests.assertStatistics(s -> s.failed(1));
        assertThat(Arrays.stream(failureOf(tests).getSuppressed()).map(Throwable::getMessage))
                .anySatisfy(m -> assertThat(m).contains("kept running"));
        assertThat(FailingExample.inspected).isEqualTo("evidence");
    }

    @Test
    void anUnavailableVersionFailsTheClassWithTheAvailableOnes() {
        Events events = run(WrongVersionExample.class, Map.of()).allEvents();
        events.assertThatEvents().haveAtLeastOne(event(finishedWithFailure(
                instanceOf(org.junit.jupiter.api.extension.ExtensionConfigurationException.class),
                message(m -> m.contains("PostgreSQL 13 is not available; available: 17 (17.5), 18 (18.6)")))));
        events.assertThatEvents().doNotHave(event(test()));
    }

    private static Throwable failureOf(Events tests) {
        Event failed = tests.failed().stream().findFirst().orElseThrow();
        return failed.getPayload(org.junit.platform.engine.TestExecutionResult.class).orElseThrow().getThrowable()
                .orElseThrow();
    }

    private static List<String> reportEntries(EngineExecutionResults results) {
        return results.allEvents().reportingEntryPublished().stream()
                .map(e -> e.getPayload(ReportEntry.class).orElseThrow().getKeyValuePairs().toString()).toList();
    }
}
