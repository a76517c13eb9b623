package io.pglite.server;

/** How the server authenticates clients (PostgreSQL's {@code pg_hba.conf} methods of the same names). */
public enum AuthMethod {
    /** Any client that names the right user is let in, without a password. */
    TRUST,
    /** The client proves it knows the password with SCRAM-SHA-256 (the password never crosses the wire). */
    SCRAM_SHA_256,
    /** The client sends an MD5 hash of the password, salted per connection (legacy). */
    MD5
}
