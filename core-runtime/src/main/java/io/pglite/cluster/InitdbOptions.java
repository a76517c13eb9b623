package io.pglite.cluster;

import java.util.Objects;

/**
 * The inputs of initdb that shape a new cluster.
 *
 * @param username the bootstrap superuser
 * @param encoding the server encoding
 * @param locale the locale (libc provider)
 */
public record InitdbOptions(String username, String encoding, String locale) {
    /** PGlite's defaults: user postgres, UTF8, C.UTF-8. */
    public static final InitdbOptions DEFAULTS = new InitdbOptions("postgres", "UTF8", "C.UTF-8");

    /** Validates the options. */
    public InitdbOptions {
        Objects.requireNonNull(username, "username");
        Objects.requireNonNull(encoding, "encoding");
        Objects.requireNonNull(locale, "locale");
        if (username.isBlank()) {
            throw new IllegalArgumentException("username must not be blank");
        }
    }
}
