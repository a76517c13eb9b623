package io.pglite.spock;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a field of a {@link PgliteSpec} specification to receive a cluster resource: a
 * {@link javax.sql.DataSource}, a {@link java.sql.Connection} or a {@link io.pglite.cluster.PgliteCluster}. A
 * {@code @Shared} field receives it from the spec's cluster before {@code setupSpec()}; any other field from the
 * current iteration's own cluster before {@code setup()}.
 */
@Target(ElementType.FIELD)
@Retention(RetentionPolicy.RUNTIME)
@Documented
public @interface PgliteResource {}
