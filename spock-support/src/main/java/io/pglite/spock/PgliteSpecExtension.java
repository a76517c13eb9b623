package io.pglite.spock;

import io.pglite.cluster.PgliteCluster;
import io.pglite.junit5.ClusterSpec;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.spockframework.runtime.AbstractRunListener;
import org.spockframework.runtime.extension.ExtensionException;
import org.spockframework.runtime.extension.IAnnotationDrivenExtension;
import org.spockframework.runtime.extension.IMethodInvocation;
import org.spockframework.runtime.model.ErrorInfo;
import org.spockframework.runtime.model.FeatureInfo;
import org.spockframework.runtime.model.FieldInfo;
import org.spockframework.runtime.model.IterationInfo;
import org.spockframework.runtime.model.SpecInfo;

/**
 * The Spock extension behind {@link PgliteSpec}: starts clusters (one per iteration for ordinary fields, one per
 * spec for {@code @Shared} fields), injects their resources into annotated fields, closes them when the iteration
 * or spec ends, and adds a cluster's address to every error reported while it was in use.
 *
 * <p>Spock creates one instance of an annotation-driven extension per spec run; all state of that run lives in
 * it. Work that can fail on the user's configuration (a missing script, an unavailable version, a field of the
 * wrong type) is done when the spec executes, not when it is discovered, so that it fails that spec with a clear
 * message instead of the discovery of the whole run.
 */
public class PgliteSpecExtension implements IAnnotationDrivenExtension<PgliteSpec> {
    private static final Logger LOG = LoggerFactory.getLogger(PgliteSpecExtension.class);

    private final Map<IterationInfo, ClusterHandle> iterations = new ConcurrentHashMap<>();
    private volatile ClusterSpec clusterSpec;
    private volatile ClusterHandle shared;

    /** Created by Spock, once per spec run. */
    public PgliteSpecExtension() {}

    @Override
    public void visitSpecAnnotation(PgliteSpec annotation, SpecInfo spec) {
        // Everything happens in visitSpec, once, for the bottom spec: with @Inherited, Spock visits the annotation
        // once per level of a spec hierarchy.
    }

    @Override
    public void visitSpec(SpecInfo spec) {
        SpecInfo bottom = spec.getBottomSpec();
        // The nearest annotation wins, as @Inherited has it (a subclass's own annotation hides its parent's).
        PgliteSpec config = bottom.getReflection().getAnnotation(PgliteSpec.class);
        List<FieldInfo> sharedFields = new ArrayList<>();
        List<FieldInfo> iterationFields = new ArrayList<>();
        for (FieldInfo f : bottom.getAllFields()) {
            if (f.isAnnotationPresent(PgliteResource.class) || f.isAnnotationPresent(JdbcUrl.class)) {
                (f.isShared() ? sharedFields : iterationFields).add(f);
            }
        }
        bottom.addInterceptor(invocation -> interceptSpec(invocation, config, bottom, sharedFields, iterationFields));
        if (!iterationFields.isEmpty()) {
            for (FeatureInfo feature : bottom.getAllFeatures()) {
                feature.addIterationInterceptor(invocation -> interceptIteration(invocation, iterationFields));
            }
        }
        bottom.addListener(new AbstractRunListener() {
            @Override
            public void error(ErrorInfo error) {
                describeCluster(error);
            }
        });
    }

    /** Around the whole spec (setupSpec, features, cleanupSpec): resolves the config, owns the shared cluster. */
    private void interceptSpec(IMethodInvocation invocation, PgliteSpec config, SpecInfo spec,
            List<FieldInfo> sharedFields, List<FieldInfo> iterationFields) throws Throwable {
        Class<?> specClass = spec.getReflection();
        try {
            clusterSpec = ClusterSpec.of("@PgliteSpec", specClass, config.version(), config.user(),
                    config.password(), config.database(), List.of(config.extensions()),
                    List.of(config.initScripts()), List.of(config.flywayLocations()), config.liquibaseChangeLog(),
                    List.of(config.settings()), config.poolSize(), config.keepFailed());
        } catch (IllegalArgumentException e) {
            throw new ExtensionException(e.getMessage(), e);
        }
        checkFields(sharedFields);
        checkFields(iterationFields);
        if (sharedFields.isEmpty()) {
            invocation.proceed();
            return;
        }
        ClusterHandle handle = new ClusterHandle(clusterSpec);
        shared = handle;
        try {
            inject(sharedFields, invocation.getSharedInstance(), handle);
            invocation.proceed();
        } finally {
            shared = null;
            finish(handle, "spec " + spec.getDisplayName());
        }
    }

    /** Around one iteration (setup, feature method, cleanup): a cluster of the iteration's own. */
    private void interceptIteration(IMethodInvocation invocation, List<FieldInfo> fields) throws Throwable {
        IterationInfo iteration = invocation.getIteration();
        long start = System.nanoTime();
        ClusterHandle handle = new ClusterHandle(clusterSpec);
        iterations.put(iteration, handle);
        long proceed = 0;
        long done = 0;
        try {
            inject(fields, invocation.getInstance(), handle);
            proceed = System.nanoTime();
            invocation.proceed();
        } finally {
            done = System.nanoTime();
            iterations.remove(iteration);
            finish(handle, iteration.getDisplayName());
            if (LOG.isDebugEnabled()) {
                LOG.debug("{}: cluster and fields ready in {} us, iteration ran {} us, cluster closed in {} us",
                        iteration.getDisplayName(), (proceed - start) / 1000, (done - proceed) / 1000,
                        (System.nanoTime() - done) / 1000);
            }
        }
    }

    /** Closes a cluster, unless it saw a failure and keepFailed asks to keep it until the run ends. */
    private void finish(ClusterHandle handle, String owner) {
        if (handle.failed() && clusterSpec.keepFailed()) {
            KeptClusters.add(handle);
            LOG.warn("{} failed; its PGlite cluster is kept running until the Spock run ends: {}", owner,
                    handle.describe());
        } else {
            handle.close();
        }
    }

    /**
     * Adds the address of the clusters in use to a reported error, as suppressed exceptions: the one of the
     * failing iteration and the spec's shared one. Spock hands listeners the very exception it reports, so the
     * addition reaches the test report.
     */
    private void describeCluster(ErrorInfo error) {
        Throwable failure = error.getException();
        boolean keep = clusterSpec != null && clusterSpec.keepFailed();
        String kept = keep ? " (kept running until the Spock run ends)" : "";
        IterationInfo iteration = error.getErrorContext().getIteration();
        ClusterHandle own = iteration == null ? null : iterations.get(iteration);
        if (own != null) {
            own.markFailed();
            failure.addSuppressed(new PgliteClusterInfo("PGlite cluster of this iteration" + kept + ": "
                    + own.describe()));
        }
        ClusterHandle spec = shared;
        if (spec != null) {
            spec.markFailed();
            failure.addSuppressed(new PgliteClusterInfo("PGlite cluster of this spec (@Shared fields)" + kept + ": "
                    + spec.describe()));
        }
    }

    // ---- injection ----------------------------------------------------------------------------------------

    private static void checkFields(List<FieldInfo> fields) {
        for (FieldInfo f : fields) {
            boolean url = f.isAnnotationPresent(JdbcUrl.class);
            Class<?> type = f.getType();
            boolean ok = url ? type == String.class
                    : type == DataSource.class || type == Connection.class || type == PgliteCluster.class;
            if (!ok || (url && f.isAnnotationPresent(PgliteResource.class))) {
                throw new ExtensionException("cannot inject field " + f.getName() + " of " + f.getParent().getName()
                        + " (" + type.getName() + "): supported are DataSource, Connection and PgliteCluster fields"
                        + " with @PgliteResource, and String fields with @JdbcUrl");
            }
        }
    }

    private static void inject(List<FieldInfo> fields, Object target, ClusterHandle handle) throws SQLException {
        for (FieldInfo f : fields) {
            Class<?> type = f.getType();
            Object value;
            if (f.isAnnotationPresent(JdbcUrl.class)) {
                value = handle.jdbcUrl();
            } else if (type == DataSource.class) {
                value = handle.dataSource();
            } else if (type == Connection.class) {
                value = handle.newConnection();
            } else {
                value = handle.cluster();
            }
            f.writeValue(target, value);
        }
    }

    /** Carries a cluster's address into a failure's report (as a suppressed exception, without a stack trace). */
    static final class PgliteClusterInfo extends Exception {
        private static final long serialVersionUID = 1L;

        PgliteClusterInfo(String message) {
            super(message, null, false, false);
        }
    }
}
