package io.pglite.distribution;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;

/**
 * The files of one of the distribution's extension bundles ({@code extensions/NAME.tar.gz}): control and SQL
 * files under {@code share/postgresql/extension}, side modules under {@code lib/postgresql}, headers. Paths
 * are absolute in the PGlite file tree ({@code /pglite/...}).
 *
 * @param name the bundle's name, e.g. {@code hstore}
 * @param files the bundle's regular files
 * @param controlNames the extension names it provides (from its {@code .control} files); several for
 *     {@code spi}, none for bundles that are only loadable modules ({@code auto_explain})
 */
public record ExtensionBundle(String name, List<BundleFile> files, List<String> controlNames) {
    /** Where bundle paths are rooted. */
    public static final String ROOT = "/pglite/";

    /**
     * A file of a bundle.
     *
     * @param path absolute path in the PGlite file tree
     * @param content the bytes
     */
    public record BundleFile(String path, byte[] content) {}

    /**
     * Reads a bundle of a distribution.
     *
     * @param distribution the distribution
     * @param name the bundle name (see {@link Distribution#extensionNames()})
     * @return the unpacked bundle
     * @throws DistributionException if the bundle is missing, corrupt or not a valid tar.gz
     */
    public static ExtensionBundle read(Distribution distribution, String name) {
        String resource = "extensions/" + name + ".tar.gz";
        try (InputStream in = new GZIPInputStream(distribution.openResource(resource), 64 * 1024)) {
            List<BundleFile> files = new ArrayList<>();
            List<String> controls = new ArrayList<>();
            for (BundleFile f : untar(in, resource)) {
                files.add(f);
                if (f.path().endsWith(".control")) {
                    String base = f.path().substring(f.path().lastIndexOf('/') + 1);
                    controls.add(base.substring(0, base.length() - ".control".length()));
                }
            }
            controls.sort(null);
            return new ExtensionBundle(name, List.copyOf(files), List.copyOf(controls));
        } catch (IOException e) {
            throw new DistributionException(resource, "cannot unpack extension bundle " + resource + ": "
                    + e.getMessage(), e);
        }
    }

    /** A minimal ustar reader: regular files only (directories are implied by paths). */
    private static List<BundleFile> untar(InputStream in, String resource) throws IOException {
        List<BundleFile> files = new ArrayList<>();
        byte[] header = new byte[512];
        while (true) {
            if (!readFully(in, header)) {
                return files;
            }
            if (isZero(header)) {
                return files;
            }
            String name = cString(header, 0, 100);
            String prefix = cString(header, 345, 155);
            if (!prefix.isEmpty()) {
                name = prefix + "/" + name;
            }
            long size = octal(header, 124, 12);
            byte type = header[156];
            if (size < 0 || size > Integer.MAX_VALUE - 8) {
                throw new IOException("bad size for " + name + " in " + resource);
            }
            byte[] content = new byte[(int) size];
            if (!readFully(in, content)) {
                throw new IOException("truncated entry " + name + " in " + resource);
            }
            long pad = (512 - size % 512) % 512;
            in.skipNBytes(pad);
            boolean regular = type == '0' || type == 0;
            if (regular && !name.endsWith("/")) {
                while (name.startsWith("./")) {
                    name = name.substring(2);
                }
                if (name.contains("..")) {
                    throw new IOException("refusing path " + name + " in " + resource);
                }
                files.add(new BundleFile(ROOT + name, content));
            }
        }
    }

    private static boolean readFully(InputStream in, byte[] b) throws IOException {
        int off = 0;
        while (off < b.length) {
            int n = in.read(b, off, b.length - off);
            if (n < 0) {
                if (off == 0) {
                    return false;
                }
                throw new IOException("unexpected end of archive");
            }
            off += n;
        }
        return true;
    }

    private static boolean isZero(byte[] b) {
        for (byte x : b) {
            if (x != 0) {
                return false;
            }
        }
        return true;
    }

    private static String cString(byte[] b, int off, int len) {
        int end = off;
        while (end < off + len && b[end] != 0) {
            end++;
        }
        return new String(b, off, end - off, StandardCharsets.UTF_8);
    }

    private static long octal(byte[] b, int off, int len) {
        long v = 0;
        for (int i = off; i < off + len; i++) {
            byte c = b[i];
            if (c == 0 || c == ' ') {
                if (v != 0 || i > off) {
                    break;
                }
                continue;
            }
            if (c < '0' || c > '7') {
                return -1;
            }
            v = v * 8 + (c - '0');
        }
        return v;
    }
}
