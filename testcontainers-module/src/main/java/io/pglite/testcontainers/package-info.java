/**
 * Testcontainers compatibility: {@link io.pglite.testcontainers.PgliteContainer}, a drop-in for
 * {@code PostgreSQLContainer} that runs PostgreSQL inside the JVM; {@link
 * io.pglite.testcontainers.PgliteContainerProvider}, which serves {@code jdbc:tc:pglite:} URLs; and {@link
 * io.pglite.testcontainers.Mode}, the switch that runs the same suite against Docker or an existing server.
 */
package io.pglite.testcontainers;
