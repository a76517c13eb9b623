package io.pglite.server;

import io.pglite.protocol.BackendMessages;
import io.pglite.protocol.FrontendReader;
import io.pglite.protocol.ProtocolException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.text.Normalizer;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Password authentication done by the server itself (the single-user backend does none): SCRAM-SHA-256
 * (RFC 5802 and RFC 7677, without channel binding) or MD5, as PostgreSQL implements them. The SCRAM verifier
 * (salted password) is derived once per server.
 */
final class Authenticator {
    static final int SCRAM_ITERATIONS = 4096;
    private static final String MECHANISM = "SCRAM-SHA-256";
    private static final SecureRandom RANDOM = new SecureRandom();

    private final AuthMethod method;
    private final String password;
    private final byte[] salt;
    private final byte[] storedKey;
    private final byte[] serverKey;

    /** The client gave the wrong password (or gave up): the caller reports 28P01 and closes. */
    static final class AuthenticationFailed extends Exception {
        private static final long serialVersionUID = 1L;
        final String sqlState;

        AuthenticationFailed(String sqlState, String message) {
            super(message);
            this.sqlState = sqlState;
        }
    }

    Authenticator(AuthMethod method, String password) {
        this.method = method;
        this.password = password;
        if (method == AuthMethod.SCRAM_SHA_256) {
            salt = new byte[16];
            RANDOM.nextBytes(salt);
            byte[] salted = hi(normalize(password), salt, SCRAM_ITERATIONS);
            storedKey = sha256(hmac(salted, "Client Key"));
            serverKey = hmac(salted, "Server Key");
        } else {
            salt = null;
            storedKey = null;
            serverKey = null;
        }
    }

    AuthMethod method() {
        return method;
    }

    /**
     * Runs the exchange for {@code user}; on success nothing has been written yet beyond the method's own
     * messages (the caller sends AuthenticationOk).
     */
    void authenticate(String user, FrontendReader reader, OutputStream out)
            throws IOException, AuthenticationFailed {
        switch (method) {
            case TRUST -> {
                // nothing to check
            }
            case MD5 -> md5(user, reader, out);
            case SCRAM_SHA_256 -> scram(user, reader, out);
            default -> throw new IllegalStateException(method.toString());
        }
    }

    private static AuthenticationFailed failed(String user) {
        return new AuthenticationFailed("28P01", "password authentication failed for user \"" + user + "\"");
    }

    private void md5(String user, FrontendReader reader, OutputStream out) throws IOException, AuthenticationFailed {
        byte[] md5Salt = new byte[4];
        RANDOM.nextBytes(md5Salt);
        out.write(BackendMessages.authentication(BackendMessages.AUTH_MD5, md5Salt));
        out.flush();
        byte[] body = reader.readPasswordMessage();
        String given = cstring(body, 0);
        String inner = hex(md5Digest((password + user).getBytes(StandardCharsets.UTF_8)));
        byte[] outerInput = concat(inner.getBytes(StandardCharsets.US_ASCII), md5Salt);
        String expected = "md5" + hex(md5Digest(outerInput));
        if (!MessageDigest.isEqual(expected.getBytes(StandardCharsets.US_ASCII),
                given.getBytes(StandardCharsets.UTF_8))) {
            throw failed(user);
        }
    }

    private void scram(String user, FrontendReader reader, OutputStream out) throws IOException, AuthenticationFailed {
        out.write(BackendMessages.authentication(BackendMessages.AUTH_SASL,
                (MECHANISM + "\0\0").getBytes(StandardCharsets.US_ASCII)));
        out.flush();

        // SASLInitialResponse: mechanism, length, client-first-message.
        byte[] initial = reader.readPasswordMessage();
        String mechanism = cstring(initial, 0);
        if (!MECHANISM.equals(mechanism)) {
            throw new AuthenticationFailed("08P01", "client selected an invalid SASL authentication mechanism");
        }
        int p = mechanism.length() + 1;
        if (p + 4 > initial.length) {
            throw malformed("missing client-first-message");
        }
        int len = ByteBuffer.wrap(initial, p, 4).getInt();
        p += 4;
        if (len < 0 || p + len > initial.length) {
            throw malformed("bad client-first-message length");
        }
        String clientFirst = new String(initial, p, len, StandardCharsets.UTF_8);
        // gs2-header: "n,," or "y,," (we offer no channel binding); no authorization identity.
        String gs2;
        if (clientFirst.startsWith("n,,") || clientFirst.startsWith("y,,")) {
            gs2 = clientFirst.substring(0, 3);
        } else if (clientFirst.startsWith("p=")) {
            throw new AuthenticationFailed("08P01",
                    "channel binding was requested, but the server does not support it (no SSL)");
        } else if (clientFirst.startsWith("n,") || clientFirst.startsWith("y,")) {
            throw new AuthenticationFailed("0A000", "client uses authorization identity, but it is not supported");
        } else {
            throw malformed("unexpected channel-binding flag");
        }
        String clientFirstBare = clientFirst.substring(3);
        String clientNonce = attribute(clientFirstBare, 'r');
        if (clientNonce == null || clientNonce.isEmpty()) {
            throw malformed("missing client nonce");
        }
        byte[] serverNonceBytes = new byte[18];
        RANDOM.nextBytes(serverNonceBytes);
        String nonce = clientNonce + Base64.getEncoder().encodeToString(serverNonceBytes);
        String serverFirst = "r=" + nonce + ",s=" + Base64.getEncoder().encodeToString(salt) + ",i="
                + SCRAM_ITERATIONS;
        out.write(BackendMessages.authentication(BackendMessages.AUTH_SASL_CONTINUE,
                serverFirst.getBytes(StandardCharsets.UTF_8)));
        out.flush();

        // SASLResponse: client-final-message.
        String clientFinal = new String(reader.readPasswordMessage(), StandardCharsets.UTF_8);
        int proofAt = clientFinal.lastIndexOf(",p=");
        if (proofAt < 0) {
            throw malformed("missing proof");
        }
        String withoutProof = clientFinal.substring(0, proofAt);
        String channelBinding = attribute(withoutProof, 'c');
        String expectedBinding = Base64.getEncoder().encodeToString(gs2.getBytes(StandardCharsets.US_ASCII));
        if (!expectedBinding.equals(channelBinding)) {
            throw malformed("unexpected channel binding data");
        }
        if (!nonce.equals(attribute(withoutProof, 'r'))) {
            throw malformed("nonce does not match");
        }
        byte[] proof;
        try {
            proof = Base64.getDecoder().decode(clientFinal.substring(proofAt + 3));
        } catch (IllegalArgumentException e) {
            throw malformed("bad proof encoding");
        }
        String authMessage = clientFirstBare + "," + serverFirst + "," + withoutProof;
        byte[] clientSignature = hmac(storedKey, authMessage);
        if (proof.length != clientSignature.length) {
            throw failed(user);
        }
        byte[] clientKey = new byte[proof.length];
        for (int i = 0; i < proof.length; i++) {
            clientKey[i] = (byte) (proof[i] ^ clientSignature[i]);
        }
        if (!MessageDigest.isEqual(sha256(clientKey), storedKey)) {
            throw failed(user);
        }
        String serverFinal = "v=" + Base64.getEncoder().encodeToString(hmac(serverKey, authMessage));
        out.write(BackendMessages.authentication(BackendMessages.AUTH_SASL_FINAL,
                serverFinal.getBytes(StandardCharsets.UTF_8)));
    }

    private static AuthenticationFailed malformed(String what) {
        return new AuthenticationFailed("08P01", "malformed SCRAM message (" + what + ")");
    }

    /** The value of attribute {@code name} ("x=value") in a comma-separated SCRAM message. */
    private static String attribute(String message, char name) {
        for (String part : message.split(",", -1)) {
            if (part.length() >= 2 && part.charAt(0) == name && part.charAt(1) == '=') {
                return part.substring(2);
            }
        }
        return null;
    }

    private static String cstring(byte[] b, int from) throws ProtocolException {
        int end = from;
        while (end < b.length && b[end] != 0) {
            end++;
        }
        if (end >= b.length) {
            throw new ProtocolException("invalid string in message");
        }
        return new String(b, from, end - from, StandardCharsets.UTF_8);
    }

    /** An approximation of SASLprep: ASCII passwords are used as they are, others NFKC-normalised. */
    private static byte[] normalize(String password) {
        boolean ascii = password.chars().allMatch(c -> c < 128);
        String p = ascii ? password : Normalizer.normalize(password, Normalizer.Form.NFKC);
        return p.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] hi(byte[] password, byte[] salt, int iterations) {
        try {
            // SCRAM's Hi() is PBKDF2-HMAC-SHA-256 with one block; computed here on the password's bytes.
            // SecretKeySpec refuses an empty key; HMAC pads keys with zeros, so one zero byte is the same key.
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(password.length == 0 ? new byte[1] : password, "HmacSHA256"));
            mac.update(salt);
            mac.update(new byte[] {0, 0, 0, 1});
            byte[] u = mac.doFinal();
            byte[] result = u.clone();
            for (int i = 1; i < iterations; i++) {
                u = mac.doFinal(u);
                for (int j = 0; j < result.length; j++) {
                    result[j] ^= u[j];
                }
            }
            return result;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] hmac(byte[] key, String data) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(data.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] md5Digest(byte[] data) {
        try {
            return MessageDigest.getInstance("MD5").digest(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String hex(byte[] b) {
        StringBuilder sb = new StringBuilder(b.length * 2);
        for (byte x : b) {
            sb.append(Character.forDigit((x >> 4) & 0xf, 16)).append(Character.forDigit(x & 0xf, 16));
        }
        return sb.toString();
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] r = new byte[a.length + b.length];
        System.arraycopy(a, 0, r, 0, a.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }
}
