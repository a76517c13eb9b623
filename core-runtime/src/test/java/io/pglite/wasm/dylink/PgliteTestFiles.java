package io.pglite.wasm.dylink;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** pglite.wasm and files of pglite.data for the tests. */
final class PgliteTestFiles {
    private PgliteTestFiles() {}

    // TEMPORARY: read the unpacked npm package until io.pglite.distribution.Distribution exists.
    private static final Path DIST = Path.of("/tmp/probe/pkg/package/dist");

    private static byte[] wasm;
    private static byte[] data;
    private static Map<String, int[]> index;

    static synchronized byte[] pgliteWasm() {
        if (wasm == null) {
            wasm = read(DIST.resolve("pglite.wasm"));
        }
        return wasm;
    }

    /** A file packaged in pglite.data, e.g. {@code /pglite/lib/postgresql/plpgsql.so}. */
    static synchronized byte[] file(String path) {
        if (index == null) {
            data = read(DIST.resolve("pglite.data"));
            index = new LinkedHashMap<>();
            String js = new String(read(DIST.resolve("pglite.js")), StandardCharsets.UTF_8);
            Matcher m =
                    Pattern.compile("\\{filename:\"([^\"]+)\",start:(\\d+),end:(\\d+)").matcher(js);
            while (m.find()) {
                index.put(m.group(1), new int[] {Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3))});
            }
        }
        int[] range = index.get(path);
        if (range == null) {
            throw new IllegalArgumentException("not in pglite.data: " + path);
        }
        byte[] out = new byte[range[1] - range[0]];
        System.arraycopy(data, range[0], out, 0, out.length);
        return out;
    }

    static synchronized java.util.List<String> files() {
        file("/pglite/lib/postgresql/plpgsql.so");
        return java.util.List.copyOf(index.keySet());
    }

    private static byte[] read(Path p) {
        try {
            return Files.readAllBytes(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
