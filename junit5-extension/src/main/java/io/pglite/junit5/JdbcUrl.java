package io.pglite.junit5;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Qualifies a {@code String} parameter or field of a {@link PgliteTest} class as the JDBC URL of the test's
 * cluster ({@code jdbc:postgresql://127.0.0.1:port/database}).
 */
@Target({ElementType.PARAMETER, ElementType.FIELD})
@Retention(RetentionPolicy.RUNTIME)
@Documented
public @interface JdbcUrl {}
