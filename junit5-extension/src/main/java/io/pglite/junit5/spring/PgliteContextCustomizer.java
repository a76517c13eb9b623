package io.pglite.junit5.spring;

import io.pglite.cluster.PgliteCluster;
import io.pglite.junit5.ClusterSpec;
import java.util.HashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.ApplicationListener;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.event.ContextClosedEvent;
import org.springframework.core.env.MapPropertySource;
import org.springframework.test.context.ContextCustomizer;
import org.springframework.test.context.MergedContextConfiguration;

/**
 * Starts a cluster for a Spring application context and points Spring Boot's data source properties at it
 * ({@code spring.datasource.url}, {@code username}, {@code password}, {@code driver-class-name}), ahead of the
 * application's own properties. The cluster lives as long as the context (Spring caches contexts between test
 * classes with equal configuration; {@link ClusterSpec} is part of that key) and is closed with it.
 */
final class PgliteContextCustomizer implements ContextCustomizer {
    private static final Logger LOG = LoggerFactory.getLogger(PgliteContextCustomizer.class);

    /** The name of the property source, and of the cluster's bean. */
    static final String NAME = "pglite";

    private final ClusterSpec spec;

    PgliteContextCustomizer(ClusterSpec spec) {
        this.spec = spec;
    }

    @Override
    public void customizeContext(ConfigurableApplicationContext context, MergedContextConfiguration config) {
        PgliteCluster cluster = spec.start();
        Map<String, Object> properties = new HashMap<>();
        properties.put("spring.datasource.url", cluster.jdbcUrl());
        properties.put("spring.datasource.username", cluster.username());
        properties.put("spring.datasource.password", cluster.password() == null ? "" : cluster.password());
        properties.put("spring.datasource.driver-class-name", "org.postgresql.Driver");
        // The cluster has one PostgreSQL session, held by a connection for the length of its transaction:
        // Flyway's default transaction-scoped lock on one connection would block its migrating connection.
        properties.put("spring.flyway.postgresql.transactional-lock", "false");
        context.getEnvironment().getPropertySources().addFirst(new MapPropertySource(NAME, properties));
        context.getBeanFactory().registerSingleton("pgliteCluster", cluster);
        context.addApplicationListener((ApplicationListener<ContextClosedEvent>) e -> {
            if (e.getApplicationContext() == context) {
                cluster.close();
            }
        });
        LOG.info("Spring test context {} uses the PGlite cluster at {}", context.getId(), cluster.jdbcUrl());
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PgliteContextCustomizer other && spec.equals(other.spec);
    }

    @Override
    public int hashCode() {
        return spec.hashCode();
    }
}
