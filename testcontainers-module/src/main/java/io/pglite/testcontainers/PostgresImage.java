package io.pglite.testcontainers;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.testcontainers.utility.DockerImageName;

/**
 * Maps a Docker image name, as a Testcontainers user writes it for {@code PostgreSQLContainer}, to what this
 * project can run: PostgreSQL 18 (in pglite-core-runtime) and 17 (with pgvector, from
 * io.pglite:pglite-distribution-pg17). The image name is checked so that a suite written for another version fails
 * at once with a clear message instead of silently running on a different major version.
 */
final class PostgresImage {

    /** The PostgreSQL major versions this project ships. */
    static final List<Integer> AVAILABLE_MAJORS = List.of(17, 18);

    /** The image names accepted, for error messages and documentation. */
    static final String SUPPORTED_NAMES = "postgres, postgres:latest, postgres:18, postgres:18.<minor> (for example"
            + " postgres:18.6), postgres:17, postgres:17.<minor> and pgvector/pgvector:pg17 (these need"
            + " io.pglite:pglite-distribution-pg17), with an optional variant suffix (postgres:18-alpine,"
            + " postgres:18.6-bookworm)";

    private static final DockerImageName POSTGRES = DockerImageName.parse("postgres");
    private static final DockerImageName PGVECTOR = DockerImageName.parse("pgvector/pgvector");

    /** {@code 18}, {@code 18.6}, {@code 18-alpine}, {@code 18.6-bookworm}. */
    private static final Pattern VERSION_TAG = Pattern.compile("(\\d+)(?:\\.(\\d+))?(?:-[A-Za-z0-9._-]+)?");
    /** pgvector's tags: {@code pg17}, {@code 0.8.0-pg17}, {@code pg17-bookworm}. */
    private static final Pattern PGVECTOR_TAG = Pattern.compile("(?:.*-)?pg(\\d+)(?:-.*)?");

    private final DockerImageName name;
    private final int major;

    private PostgresImage(DockerImageName name, int major) {
        this.name = name;
        this.major = major;
    }

    /**
     * Checks an image name.
     *
     * @param name the image name given to the container
     * @return the image
     * @throws IllegalArgumentException naming the supported images when this one cannot be served
     */
    static PostgresImage of(DockerImageName name) {
        String tag = name.getVersionPart();
        if (name.isCompatibleWith(PGVECTOR) && !name.isCompatibleWith(POSTGRES)) {
            Matcher m = PGVECTOR_TAG.matcher(tag);
            if (m.matches() && m.group(1).equals("17")) {
                return available(name, 17);
            }
            String version = m.matches() ? "PostgreSQL " + m.group(1) + " with " : "";
            throw unsupported(name, version + "pgvector is not available (pglite-java has pgvector with PostgreSQL 17"
                    + " only: pgvector/pgvector:pg17)");
        }
        if (!name.isCompatibleWith(POSTGRES)) {
            throw unsupported(name, "only the official postgres image (or an image declared compatible with it"
                    + " through DockerImageName.asCompatibleSubstituteFor(\"postgres\")) can be replaced");
        }
        if (tag.equals("latest")) {
            return new PostgresImage(name, 18);
        }
        Matcher m = VERSION_TAG.matcher(tag);
        if (!m.matches()) {
            throw unsupported(name, "the tag '" + tag + "' does not name a PostgreSQL version");
        }
        int major = Integer.parseInt(m.group(1));
        if (!AVAILABLE_MAJORS.contains(major)) {
            throw unsupported(name, "PostgreSQL " + major + " is not available (pglite-java runs PostgreSQL 17 and 18)");
        }
        return available(name, major);
    }

    /** The image for a version this project ships, if its distribution is on the class path. */
    private static PostgresImage available(DockerImageName name, int major) {
        try {
            io.pglite.distribution.Distribution.forVersion(Integer.toString(major));
        } catch (IllegalArgumentException e) {
            throw unsupported(name, e.getMessage());
        }
        return new PostgresImage(name, major);
    }

    private static IllegalArgumentException unsupported(DockerImageName name, String why) {
        return new IllegalArgumentException("PgliteContainer cannot run image '" + name.asCanonicalNameString()
                + "': " + why + ". Supported image names: " + SUPPORTED_NAMES
                + ". To run this image in Docker instead, set -D" + Mode.PROPERTY + "=docker.");
    }

    /** The image name as given. */
    DockerImageName name() {
        return name;
    }

    /** The PostgreSQL major version served. */
    int major() {
        return major;
    }
}
