package io.pglite.junit5.spring;

import io.pglite.junit5.ClusterSpec;
import io.pglite.junit5.PgliteTest;
import java.util.List;
import org.springframework.core.annotation.MergedAnnotations;
import org.springframework.core.annotation.MergedAnnotations.SearchStrategy;
import org.springframework.test.context.ContextConfigurationAttributes;
import org.springframework.test.context.ContextCustomizer;
import org.springframework.test.context.ContextCustomizerFactory;

/**
 * Gives a Spring test context whose test class is annotated with {@link PgliteTest} a PGlite cluster as its
 * data source. Spring finds this factory through {@code META-INF/spring.factories}; it is only loaded when the
 * Spring TestContext framework is there, so the JUnit extension works without Spring.
 */
public class PgliteContextCustomizerFactory implements ContextCustomizerFactory {

    /** Created by Spring's factories loader. */
    public PgliteContextCustomizerFactory() {}

    @Override
    public ContextCustomizer createContextCustomizer(Class<?> testClass,
            List<ContextConfigurationAttributes> configAttributes) {
        // Enclosing classes too: Spring shares a @Nested class's configuration with its enclosing class.
        PgliteTest config = MergedAnnotations.from(testClass, SearchStrategy.TYPE_HIERARCHY)
                .get(PgliteTest.class).synthesize(a -> a.isPresent()).orElse(null);
        for (Class<?> c = testClass.getEnclosingClass(); config == null && c != null; c = c.getEnclosingClass()) {
            config = MergedAnnotations.from(c, SearchStrategy.TYPE_HIERARCHY).get(PgliteTest.class)
                    .synthesize(a -> a.isPresent()).orElse(null);
        }
        return config == null ? null : new PgliteContextCustomizer(ClusterSpec.of(config, testClass));
    }
}
