package io.pglite.spock;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a {@code String} field of a {@link PgliteSpec} specification to receive the JDBC URL of a cluster
 * ({@code jdbc:postgresql://127.0.0.1:port/database}): the spec's cluster for a {@code @Shared} field, else the
 * current iteration's.
 */
@Target(ElementType.FIELD)
@Retention(RetentionPolicy.RUNTIME)
@Documented
public @interface JdbcUrl {}
