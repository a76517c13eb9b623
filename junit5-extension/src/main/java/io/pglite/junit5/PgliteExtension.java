package io.pglite.junit5;

import io.pglite.cluster.PgliteCluster;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.lang.reflect.Parameter;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionConfigurationException;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.jupiter.api.extension.TestExecutionExceptionHandler;
import org.junit.platform.commons.support.AnnotationSupport;
import org.junit.platform.commons.support.HierarchyTraversalMode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The JUnit Jupiter extension behind {@link PgliteTest}: starts clusters (per test method or per class),
 * injects their resources into parameters and fields, closes them with the context that owns them, and adds the
 * cluster's address to a failing test's report.
 *
 * <p>All state lives in {@link ExtensionContext.Store}s: a test's cluster in the test's store, a class's
 * cluster in the class's store, so parallel tests never share one unless they share a class cluster. On a Spring
 * test class the extension stays out of the way: Spring's context gets its {@code DataSource} from a cluster
 * (see {@link io.pglite.junit5.spring.PgliteContextCustomizerFactory}) and injects it.
 */
public class PgliteExtension implements BeforeAllCallback, BeforeEachCallback, ParameterResolver,
        TestExecutionExceptionHandler {
    private static final Logger LOG = LoggerFactory.getLogger(PgliteExtension.class);
    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(PgliteExtension.class);
    private static final String CLUSTER = "cluster";
    private static final String SPEC = "spec";
    private static final String SPRING_EXTENSION = "org.springframework.test.context.junit.jupiter.SpringExtension";

    /** Creates the extension (JUnit does, through {@link PgliteTest}'s {@code @ExtendWith}). */
    public PgliteExtension() {}

    @Override
    public void beforeAll(ExtensionContext context) throws IllegalAccessException {
        Class<?> testClass = context.getRequiredTestClass();
        if (isSpringTest(testClass)) {
            return;
        }
        PgliteTest config = config(testClass);
        ClusterSpec spec = spec(context, config);
        if (config.lifecycle() == PgliteTest.Lifecycle.PER_CLASS && ownsAnnotation(testClass)) {
            ClusterHandle r = context.getStore(NAMESPACE).getOrComputeIfAbsent(CLUSTER,
                    k -> new ClusterHandle(spec), ClusterHandle.class);
            injectFields(testClass, null, r);
        } else if (hasStaticInjectedFields(testClass)) {
            throw new ExtensionConfigurationException("static @PgliteResource/@JdbcUrl fields of " + testClass.getName()
                    + " need @PgliteTest(lifecycle = PER_CLASS): with PER_METHOD every test has its own cluster");
        }
    }

    @Override
    public void beforeEach(ExtensionContext context) throws IllegalAccessException {
        if (isSpringTest(context.getRequiredTestClass())) {
            return;
        }
        List<Object> instances = context.getRequiredTestInstances().getAllInstances();
        ClusterHandle r = null;
        for (Object instance : instances) {
            if (hasInjectedFields(instance.getClass())) {
                if (r == null) {
                    r = resource(context);
                }
                injectFields(instance.getClass(), instance, r);
            }
        }
    }

    @Override
    public boolean supportsParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        if (isSpringTest(extensionContext.getRequiredTestClass())) {
            return false;
        }
        return injectable(parameterContext.getParameter().getType(), parameterContext.isAnnotated(JdbcUrl.class));
    }

    @Override
    public Object resolveParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        Parameter p = parameterContext.getParameter();
        boolean classLevel = extensionContext.getTestMethod().isEmpty();
        if (classLevel && lifecycle(extensionContext) != PgliteTest.Lifecycle.PER_CLASS) {
            throw new ParameterResolutionException("with @PgliteTest(lifecycle = PER_METHOD) each test has its own"
                    + " cluster: inject " + p.getType().getSimpleName() + " into the test method, a @BeforeEach"
                    + " method or a @PgliteResource field, not into " + parameterContext.getDeclaringExecutable());
        }
        try {
            return value(p.getType(), parameterContext.isAnnotated(JdbcUrl.class), resource(extensionContext));
        } catch (SQLException e) {
            throw new ParameterResolutionException("cannot open a connection to the PGlite cluster: " + e, e);
        }
    }

    @Override
    public void handleTestExecutionException(ExtensionContext context, Throwable throwable) throws Throwable {
        ClusterHandle r = existingResource(context);
        if (r != null && !isSpringTest(context.getRequiredTestClass())) {
            String where = r.describe();
            boolean keep = spec(context, config(context.getRequiredTestClass())).keepFailed()
                    || context.getConfigurationParameter(ClusterSpec.KEEP_FAILED_PROPERTY).map(Boolean::parseBoolean)
                            .orElse(false);
            context.publishReportEntry("pglite.cluster", where);
            if (keep && lifecycle(context) == PgliteTest.Lifecycle.PER_METHOD) {
                r.keep();
                context.getRoot().getStore(NAMESPACE).put(new Object(), new KeptCluster(r));
                LOG.warn("{} failed; its PGlite cluster is kept running until the test run ends: {}",
                        context.getDisplayName(), where);
                throwable.addSuppressed(new PgliteClusterInfo("PGlite cluster of this test (kept running until the"
                        + " test run ends): " + where));
            } else {
                throwable.addSuppressed(new PgliteClusterInfo("PGlite cluster of this test: " + where));
            }
        }
        throw throwable;
    }

    /** Closes a kept cluster when the test run ends. */
    @SuppressWarnings("deprecation")
    private record KeptCluster(ClusterHandle resource) implements ExtensionContext.Store.CloseableResource {
        @Override
        public void close() {
            resource.release();
        }
    }

    /** Carries the cluster's address into a failing test's report (as a suppressed exception). */
    static final class PgliteClusterInfo extends Exception {
        private static final long serialVersionUID = 1L;

        PgliteClusterInfo(String message) {
            super(message, null, false, false);
        }
    }

    // ---- resources ----------------------------------------------------------------------------------------

    /** The cluster for a context: the class's (per class, here or in an enclosing class) or the test's own. */
    private ClusterHandle resource(ExtensionContext context) {
        ClusterHandle shared = classResource(context);
        if (shared != null) {
            return shared;
        }
        ExtensionContext owner = context.getTestMethod().isPresent() ? context : null;
        if (owner == null) {
            throw new ExtensionConfigurationException("no PGlite cluster for " + context.getDisplayName());
        }
        ClusterSpec spec = spec(context, config(context.getRequiredTestClass()));
        return owner.getStore(NAMESPACE).getOrComputeIfAbsent(CLUSTER, k -> new ClusterHandle(spec),
                ClusterHandle.class);
    }

    private static ClusterHandle existingResource(ExtensionContext context) {
        ClusterHandle own = context.getStore(NAMESPACE).get(CLUSTER, ClusterHandle.class);
        return own != null ? own : classResource(context);
    }

    /** The nearest class-level cluster among this context and its ancestors, if any. */
    private static ClusterHandle classResource(ExtensionContext context) {
        for (Optional<ExtensionContext> c = Optional.of(context); c.isPresent(); c = c.get().getParent()) {
            ExtensionContext ctx = c.get();
            if (ctx.getTestMethod().isEmpty() && ctx.getTestClass().isPresent()) {
                ClusterHandle r = ctx.getStore(NAMESPACE).get(CLUSTER, ClusterHandle.class);
                if (r != null) {
                    return r;
                }
            }
        }
        return null;
    }

    private static PgliteTest.Lifecycle lifecycle(ExtensionContext context) {
        return classResource(context) != null ? PgliteTest.Lifecycle.PER_CLASS
                : config(context.getRequiredTestClass()).lifecycle();
    }

    /** The resolved spec of a test class, computed once per class (scripts read, migrations digested). */
    private static ClusterSpec spec(ExtensionContext context, PgliteTest config) {
        Class<?> testClass = context.getRequiredTestClass();
        ExtensionContext classContext = context;
        while (classContext.getTestMethod().isPresent() && classContext.getParent().isPresent()) {
            classContext = classContext.getParent().get();
        }
        return classContext.getStore(NAMESPACE).getOrComputeIfAbsent(SPEC, k -> {
            try {
                return ClusterSpec.of(config, testClass);
            } catch (IllegalArgumentException e) {
                throw new ExtensionConfigurationException(e.getMessage(), e);
            }
        }, ClusterSpec.class);
    }

    /** The {@link PgliteTest} of a class, of a class it extends, or of an enclosing class ({@code @Nested}). */
    static PgliteTest config(Class<?> testClass) {
        for (Class<?> c = testClass; c != null; c = c.getEnclosingClass()) {
            Optional<PgliteTest> a = AnnotationSupport.findAnnotation(c, PgliteTest.class);
            if (a.isPresent()) {
                return a.get();
            }
        }
        throw new ExtensionConfigurationException(testClass.getName() + " is not annotated with @PgliteTest");
    }

    /**
     * Whether the class's own annotation (directly, meta-present or inherited from a superclass) configures it,
     * rather than an enclosing class's: a {@code @Nested} class without one shares its enclosing class's
     * cluster.
     */
    private static boolean ownsAnnotation(Class<?> testClass) {
        return AnnotationSupport.findAnnotation(testClass, PgliteTest.class).isPresent();
    }

    /** Whether Spring's extension runs this class: Spring then owns the data source (see the Spring part). */
    static boolean isSpringTest(Class<?> testClass) {
        for (Class<?> c = testClass; c != null; c = c.getEnclosingClass()) {
            for (ExtendWith e : AnnotationSupport.findRepeatableAnnotations(c, ExtendWith.class)) {
                for (Class<?> type : e.value()) {
                    if (type.getName().equals(SPRING_EXTENSION)) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    // ---- injection ----------------------------------------------------------------------------------------

    private static boolean injectable(Class<?> type, boolean jdbcUrl) {
        if (jdbcUrl) {
            return type == String.class;
        }
        return type == DataSource.class || type == Connection.class || type == PgliteCluster.class;
    }

    private static Object value(Class<?> type, boolean jdbcUrl, ClusterHandle r) throws SQLException {
        if (jdbcUrl) {
            return r.jdbcUrl();
        }
        if (type == DataSource.class) {
            return r.dataSource();
        }
        if (type == Connection.class) {
            return r.newConnection();
        }
        return r.cluster();
    }

    private static boolean hasInjectedFields(Class<?> type) {
        return !AnnotationSupport.findAnnotatedFields(type, PgliteResource.class).isEmpty()
                || !AnnotationSupport.findAnnotatedFields(type, JdbcUrl.class).isEmpty();
    }

    private static boolean hasStaticInjectedFields(Class<?> type) {
        return AnnotationSupport.findAnnotatedFields(type, PgliteResource.class).stream()
                .anyMatch(f -> Modifier.isStatic(f.getModifiers()))
                || AnnotationSupport.findAnnotatedFields(type, JdbcUrl.class).stream()
                        .anyMatch(f -> Modifier.isStatic(f.getModifiers()));
    }

    /**
     * Sets the annotated fields: the static ones when {@code instance} is null (before all tests of a class with
     * its own cluster), else the instance's (before each test).
     */
    private static void injectFields(Class<?> type, Object instance, ClusterHandle r)
            throws IllegalAccessException {
        for (Class<?> marker : List.of(PgliteResource.class, JdbcUrl.class)) {
            @SuppressWarnings("unchecked")
            List<Field> fields = AnnotationSupport.findAnnotatedFields(type,
                    (Class<? extends java.lang.annotation.Annotation>) marker, f -> true,
                    HierarchyTraversalMode.TOP_DOWN);
            for (Field f : fields) {
                if (Modifier.isStatic(f.getModifiers()) != (instance == null)) {
                    continue;
                }
                boolean url = marker == JdbcUrl.class;
                if (!injectable(f.getType(), url)) {
                    throw new ExtensionConfigurationException("cannot inject " + f + ": supported are DataSource,"
                            + " Connection and PgliteCluster fields with @PgliteResource, and String with @JdbcUrl");
                }
                if (Modifier.isFinal(f.getModifiers())) {
                    throw new ExtensionConfigurationException("cannot inject final field " + f);
                }
                f.setAccessible(true);
                try {
                    f.set(instance, value(f.getType(), url, r));
                } catch (SQLException e) {
                    throw new ExtensionConfigurationException("cannot open a connection for " + f + ": " + e, e);
                }
            }
        }
    }
}
