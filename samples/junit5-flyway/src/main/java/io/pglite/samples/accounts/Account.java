package io.pglite.samples.accounts;

/** One row of table {@code account}; balances in cents. */
public record Account(long id, String owner, long balance) {}
