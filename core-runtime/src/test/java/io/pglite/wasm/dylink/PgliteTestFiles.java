package io.pglite.wasm.dylink;

import io.pglite.distribution.Distribution;
import io.pglite.distribution.PackagedFile;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;

/** Side modules from the packaged distribution: pglite.data and the contrib bundles. */
final class PgliteTestFiles {
    private PgliteTestFiles() {}

    /** A file packaged in pglite.data, e.g. {@code /pglite/lib/postgresql/plpgsql.so}. */
    static byte[] file(String path) {
        Distribution d = Distribution.pg18();
        for (PackagedFile f : d.files()) {
            if (!f.directory() && f.path().equals(path)) {
                ByteBuffer b = d.contents(f);
                byte[] out = new byte[b.remaining()];
                b.get(out);
                return out;
            }
        }
        throw new IllegalArgumentException("not in pglite.data: " + path);
    }

    /** Paths of the regular files in pglite.data. */
    static List<String> files() {
        return Distribution.pg18().files().stream()
                .filter(f -> !f.directory())
                .map(PackagedFile::path)
                .toList();
    }

    /** The {@code .so} files of every contrib bundle: bundle-relative path to bytes. */
    static Map<String, byte[]> extensionLibraries() {
        Distribution d = Distribution.pg18();
        Map<String, byte[]> out = new LinkedHashMap<>();
        for (String name : d.extensionNames()) {
            try (InputStream in = new GZIPInputStream(d.openResource("extensions/" + name + ".tar.gz"))) {
                untar(in, (path, bytes) -> {
                    if (path.endsWith(".so")) {
                        out.put(name + ":" + path, bytes);
                    }
                });
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return out;
    }

    interface Entry {
        void accept(String path, byte[] bytes);
    }

    /** Minimal ustar reader: regular files only (enough for the contrib bundles). */
    private static void untar(InputStream in, Entry sink) throws IOException {
        byte[] header = new byte[512];
        while (readFully(in, header)) {
            if (header[0] == 0) {
                return; // end-of-archive block
            }
            String name = cString(header, 0, 100);
            String prefix = cString(header, 345, 155);
            String octal = cString(header, 124, 12).trim();
            long size = octal.isEmpty() ? 0 : Long.parseLong(octal, 8);
            byte type = header[156];
            byte[] body = new byte[(int) size];
            if (!readFully(in, body)) {
                throw new IOException("truncated tar entry " + name);
            }
            int pad = (int) ((512 - size % 512) % 512);
            in.readNBytes(pad);
            if (type == '0' || type == 0) {
                sink.accept(prefix.isEmpty() ? name : prefix + "/" + name, body);
            }
        }
    }

    private static boolean readFully(InputStream in, byte[] buf) throws IOException {
        int n = in.readNBytes(buf, 0, buf.length);
        if (n == 0) {
            return false;
        }
        if (n < buf.length) {
            throw new IOException("truncated tar stream");
        }
        return true;
    }

    private static String cString(byte[] b, int off, int len) {
        int end = off;
        while (end < off + len && b[end] != 0) {
            end++;
        }
        return new String(b, off, end - off, StandardCharsets.US_ASCII);
    }
}
