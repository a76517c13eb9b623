package io.pglite.wasm.dylink;

import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import java.lang.ref.SoftReference;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Side modules rewritten onto a type registry and parsed, shared by every process of the JVM that loads the
 * same library into a registry in the same state. Rewriting and parsing {@code pgcrypto.so} takes about half a
 * second; every cluster that calls into pgcrypto loads it into its own process, with the same registry
 * content (the main module's types, then what earlier loads of the same libraries in the same order
 * appended), so the result is the same each time. A parsed module is immutable and instantiated per process.
 * Entries are held softly.
 */
final class ParsedSideModules {
    private ParsedSideModules() {}

    private record Key(String sha256, TypeRegistry.State before) {}

    private record Entry(TypeRegistry.State after, WasmModule module) {}

    private static final Map<Key, SoftReference<Entry>> CACHE = new ConcurrentHashMap<>();

    /**
     * Returns the module rewritten onto {@code registry} and parsed, leaving the registry as rewriting it would
     * (signatures it lacked appended).
     *
     * @param bytes the side module's binary
     * @param registry the main instance's type registry
     * @return the parsed module
     */
    static WasmModule rewriteAndParse(byte[] bytes, TypeRegistry registry) {
        TypeRegistry.State before = registry.state();
        Key key = new Key(sha256(bytes), before);
        SoftReference<Entry> ref = CACHE.get(key);
        Entry e = ref == null ? null : ref.get();
        if (e != null && registry.advance(before, e.after())) {
            return e.module();
        }
        byte[] linked = TypePrefixRewriter.rewrite(bytes, registry);
        WasmModule module = Parser.parse(linked);
        CACHE.put(key, new SoftReference<>(new Entry(registry.state(), module)));
        return module;
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
