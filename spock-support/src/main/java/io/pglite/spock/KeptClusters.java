package io.pglite.spock;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.spockframework.runtime.extension.IGlobalExtension;
import org.spockframework.runtime.extension.ISpockExecution;
import org.spockframework.runtime.model.SpecInfo;

/**
 * Closes the clusters that {@code keepFailed} kept running, when the Spock run ends. A global extension because
 * only global extensions hear of the end of the run ({@link #executionStop}, and {@link #stop()} at the latest
 * when the JVM exits); registered in
 * {@code META-INF/services/org.spockframework.runtime.extension.IGlobalExtension}, it does nothing else. A Spock
 * run started inside another (as this module's tests do) releases every kept cluster when it ends.
 */
public final class KeptClusters implements IGlobalExtension {
    private static final Queue<ClusterHandle> KEPT = new ConcurrentLinkedQueue<>();

    /** Created by Spock's extension registry. */
    public KeptClusters() {}

    static void add(ClusterHandle handle) {
        handle.keep();
        KEPT.add(handle);
    }

    @Override
    public void visitSpec(SpecInfo spec) {
        // nothing: the specs themselves are handled by @PgliteSpec
    }

    @Override
    public void executionStop(ISpockExecution spockExecution) {
        releaseAll();
    }

    @Override
    public void stop() {
        releaseAll();
    }

    private static void releaseAll() {
        for (ClusterHandle h; (h = KEPT.poll()) != null; ) {
            h.release();
        }
    }
}
