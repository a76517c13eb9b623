package io.pglite.samples.accounts;

/** A transfer that would take an account below zero; nothing was changed. */
public class InsufficientFundsException extends RuntimeException {
    public InsufficientFundsException(String owner, long amount) {
        super(owner + " cannot pay " + amount);
    }
}
