package io.pglite.distribution;

import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The parsed {@code distribution.manifest}: distribution facts and, for every packaged resource,
 * its size and SHA-256. Format (tab-separated, {@code #} starts a comment line):
 *
 * <pre>
 * fact      key   value
 * resource  name  size  sha256-hex
 * </pre>
 */
final class Manifest {

    /** One packaged resource. */
    record Entry(String name, long size, String sha256) {}

    private final Map<String, String> facts;
    private final Map<String, Entry> resources;
    private final String sha256;

    private Manifest(Map<String, String> facts, Map<String, Entry> resources, String sha256) {
        this.facts = Collections.unmodifiableMap(facts);
        this.resources = Collections.unmodifiableMap(resources);
        this.sha256 = sha256;
    }

    static Manifest parse(String manifestName, byte[] bytes) {
        Map<String, String> facts = new LinkedHashMap<>();
        Map<String, Entry> resources = new LinkedHashMap<>();
        String text = new String(bytes, StandardCharsets.UTF_8);
        int lineNo = 0;
        for (String line : text.split("\n", -1)) {
            lineNo++;
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] f = line.split("\t", -1);
            try {
                switch (f[0]) {
                    case "fact" -> {
                        require(f.length == 3);
                        facts.put(f[1], f[2]);
                    }
                    case "resource" -> {
                        require(f.length == 4 && f[3].matches("[0-9a-f]{64}"));
                        resources.put(f[1], new Entry(f[1], Long.parseLong(f[2]), f[3]));
                    }
                    default -> {
                        // unknown record kinds are ignored (newer manifest format)
                    }
                }
            } catch (IllegalArgumentException e) {
                throw new DistributionException(
                        manifestName,
                        "PGlite distribution manifest " + manifestName + " is malformed at line "
                                + lineNo + ": " + line);
            }
        }
        if (resources.isEmpty()) {
            throw new DistributionException(
                    manifestName,
                    "PGlite distribution manifest " + manifestName + " lists no resources");
        }
        return new Manifest(facts, resources, Distribution.sha256(bytes));
    }

    private static void require(boolean ok) {
        if (!ok) {
            throw new IllegalArgumentException();
        }
    }

    /** SHA-256 (hex) of the manifest file itself, which lists the SHA-256 of every resource. */
    String sha256() {
        return sha256;
    }

    Map<String, String> facts() {
        return facts;
    }

    Map<String, Entry> resources() {
        return resources;
    }

    Entry entry(String name) {
        return resources.get(name);
    }

    List<String> names() {
        return List.copyOf(resources.keySet());
    }
}
