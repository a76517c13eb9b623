package io.pglite.wasm.dylink;

import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.TypeSection;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.WeakHashMap;

/**
 * The function-type index space shared by a main instance and every module whose functions end up
 * in its table.
 *
 * <p>Why this exists: Chicory 1.7.5 checks a {@code call_indirect} by comparing the caller's type
 * index with the callee function's type index <em>inside the callee module's type section</em>
 * (and, failing that, structural equivalence of the two indices within that section). Type indices
 * are module-local in wasm, so a call from pglite.wasm into a side module only passes when both
 * modules use the same index for the same signature. This registry makes that true: index
 * {@code 0..prefixSize()-1} is pglite's own type section in order, and signatures pglite does not
 * have are appended once, in first-seen order. Every module the linker or {@link HostFunctionTable}
 * instantiates gets the registry's current list as its type section (see {@link
 * TypePrefixRewriter}), so equal signatures have equal indices in every module, and a type index
 * valid in an older module is valid (same signature) in every newer one.
 *
 * <p>There is one registry per main {@link Instance} ({@link #of(Instance)}); it is thread-safe.
 */
public final class TypeRegistry {
    private static final Map<Instance, TypeRegistry> BY_INSTANCE = new WeakHashMap<>();

    private final int prefixSize;
    private final List<FunctionType> types = new ArrayList<>();
    private final Map<FunctionType, Integer> firstIndex = new HashMap<>();
    private final Map<FunctionType, Integer> blockAliases = new HashMap<>();
    private byte[] cachedPayload;
    private int cachedPayloadSize = -1;

    /**
     * Creates a registry whose prefix is the given type list (normally the main module's type
     * section). Prefer {@link #of(Instance)}, which shares one registry per main instance.
     *
     * @param prefix function types in type-section order
     */
    public TypeRegistry(List<FunctionType> prefix) {
        for (FunctionType t : prefix) {
            // The first occurrence wins: duplicate signatures in the prefix keep their own index
            // (main code may use either), but new modules are mapped to the first one.
            firstIndex.putIfAbsent(Objects.requireNonNull(t), types.size());
            types.add(t);
        }
        this.prefixSize = types.size();
    }

    /**
     * The registry shared by all dynamic-linking helpers attached to {@code main}.
     *
     * @param main the main (pglite) instance
     * @return the registry, created from main's type section on first use
     */
    public static TypeRegistry of(Instance main) {
        Objects.requireNonNull(main, "main");
        synchronized (BY_INSTANCE) {
            return BY_INSTANCE.computeIfAbsent(
                    main, i -> new TypeRegistry(typesOf(i.module().typeSection())));
        }
    }

    private static List<FunctionType> typesOf(TypeSection section) {
        if (section.subTypeCount() != section.typeCount()) {
            throw new IllegalArgumentException(
                    "main module uses GC rec groups; only plain function types are supported");
        }
        return Arrays.asList(section.types());
    }

    /** @return number of types taken from the main module */
    public int prefixSize() {
        return prefixSize;
    }

    /** @return current number of types (prefix plus appended) */
    public synchronized int size() {
        return types.size();
    }

    /**
     * Index of a signature, appending it if the registry does not have it yet.
     *
     * @param type a function signature
     * @return its index in every module built against this registry
     */
    public synchronized int intern(FunctionType type) {
        Integer idx = firstIndex.get(type);
        if (idx != null) {
            return idx;
        }
        int n = types.size();
        types.add(type);
        firstIndex.put(type, n);
        return n;
    }

    /**
     * Index to use for {@code index}'s signature in a block type. Chicory 1.7.5 decodes a block
     * type as an unsigned LEB and treats values that equal a value-type code (0x40 = empty block,
     * 0x63, 0x64, 0x69..0x73, 0x7B..0x7F) as that value type, so a block must not refer to a type
     * at such an index; this returns another index holding the same signature, appending
     * one if needed. Block types take no part in {@code call_indirect} checks, so a duplicate
     * signature is harmless there.
     *
     * @param index a type index valid in this registry
     * @return {@code index} itself when Chicory reads it correctly, else an alias index
     */
    public synchronized int blockTypeIndex(int index) {
        if (!misreadAsValueType(index)) {
            return index;
        }
        FunctionType type = types.get(index);
        Integer alias = blockAliases.get(type);
        if (alias != null) {
            return alias;
        }
        while (misreadAsValueType(types.size())) {
            types.add(type); // filler: an index Chicory would misread cannot be the alias
        }
        int n = types.size();
        types.add(type);
        blockAliases.put(type, n);
        return n;
    }

    static boolean misreadAsValueType(int index) {
        return index == 0x40
                || index == 0x63
                || index == 0x64
                || (index >= 0x69 && index <= 0x73)
                || (index >= 0x7B && index <= 0x7F);
    }

    /**
     * @param type a function signature
     * @return its index, or -1 when the registry does not have it
     */
    public synchronized int indexOf(FunctionType type) {
        Integer idx = firstIndex.get(type);
        return idx == null ? -1 : idx;
    }

    /**
     * @param index a type index
     * @return the signature at that index
     */
    public synchronized FunctionType type(int index) {
        return types.get(index);
    }

    /**
     * The registry's content at one moment, to recognise a registry in the same state again.
     *
     * @param types the type list
     * @param blockAliases alias indices of block types
     */
    record State(List<FunctionType> types, Map<FunctionType, Integer> blockAliases) {}

    synchronized State state() {
        return new State(List.copyOf(types), Map.copyOf(blockAliases));
    }

    /**
     * Moves the registry from {@code from} to {@code to} (what rewriting a module appended), if it is in state
     * {@code from}.
     *
     * @return false, changing nothing, if the registry is not in state {@code from}
     */
    synchronized boolean advance(State from, State to) {
        if (!types.equals(from.types()) || !blockAliases.equals(from.blockAliases())) {
            return false;
        }
        types.clear();
        types.addAll(to.types());
        blockAliases.clear();
        blockAliases.putAll(to.blockAliases());
        firstIndex.clear();
        for (int i = 0; i < types.size(); i++) {
            firstIndex.putIfAbsent(types.get(i), i); // filler and alias entries repeat earlier signatures
        }
        cachedPayloadSize = -1;
        return true;
    }

    /** @return an immutable copy of the current type list */
    public synchronized List<FunctionType> snapshot() {
        return Collections.unmodifiableList(new ArrayList<>(types));
    }

    /**
     * Payload of a type section listing all current types. Cached because side modules are
     * loaded one after another and the list only changes when a new signature shows up.
     */
    synchronized byte[] typeSectionPayload() {
        if (cachedPayloadSize != types.size()) {
            ByteWriter w = new ByteWriter(types.size() * 8);
            w.u32(types.size());
            for (FunctionType t : types) {
                ValTypes.writeFunctionType(w, t);
            }
            cachedPayload = w.toByteArray();
            cachedPayloadSize = types.size();
        }
        return cachedPayload;
    }
}
