package io.pglite.wasm;

import java.net.InetAddress;
import java.net.UnknownHostException;

/** Parses numeric IPv4/IPv6 addresses without any name lookup (the wasm program may not reach the network). */
final class NumericAddress {
    private NumericAddress() {}

    /**
     * Returns the address bytes (4 or 16), or {@code null} when {@code text} is not a numeric address.
     * "localhost" is accepted because PostgreSQL's default pg_hba.conf may name it.
     */
    static byte[] parse(String text) {
        if (text.equals("localhost")) {
            return new byte[] {127, 0, 0, 1};
        }
        boolean v4 = text.matches("\\d{1,3}(\\.\\d{1,3}){3}");
        boolean v6 = text.indexOf(':') >= 0 && text.matches("[0-9A-Fa-f:.%a-zA-Z0-9]+");
        if (!v4 && !v6) {
            return null;
        }
        try {
            // With a literal, getByName parses it and performs no lookup.
            return InetAddress.getByName(text).getAddress();
        } catch (UnknownHostException e) {
            return null;
        }
    }
}
