package io.pglite.junit5;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a field of a {@link PgliteTest} class to receive the test's cluster resources: a
 * {@link javax.sql.DataSource}, a {@link java.sql.Connection} or a {@link io.pglite.cluster.PgliteCluster}. A
 * {@code String} field annotated with {@link JdbcUrl} needs no {@code @PgliteResource}. Instance fields are set
 * before each test; static fields, with {@link PgliteTest.Lifecycle#PER_CLASS}, before all tests of the class.
 */
@Target(ElementType.FIELD)
@Retention(RetentionPolicy.RUNTIME)
@Documented
public @interface PgliteResource {}
