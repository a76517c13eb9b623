package io.pglite.distribution;

import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Machine;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import io.pglite.distribution.pg18.InitdbModule;
import io.pglite.distribution.pg18.PgliteModule;
import io.pglite.wasm.RelocatableLayout;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A PGlite distribution packaged in this jar: PostgreSQL compiled to WebAssembly (from the npm
 * package {@code @electric-sql/pglite}) and compiled further to JVM bytecode at build time, with the
 * files the server needs at run time. Nothing is fetched at run time.
 *
 * <p>Contents:
 *
 * <ul>
 *   <li>the backend module {@code pglite.wasm}: {@link #pgliteModule()} (module structure, data
 *       segments, bodies of the few functions that stay interpreted) and
 *       {@link #pgliteMachineFactory()} (the compiled code);
 *   <li>the same for {@code initdb.wasm}: {@link #initdbModule()}, {@link #initdbMachineFactory()};
 *   <li>{@code pglite.data}, the file-packager blob ({@link #data()}), and its index
 *       ({@link #files()}): the share/lib/icu files to place in the wasm file system;
 *   <li>the contrib extension bundles ({@link #extensionNames()}, {@link #openResource(String)}).
 * </ul>
 *
 * <p>Every resource is checked against the size and SHA-256 recorded in the distribution manifest
 * when it is first loaded; a missing or corrupt resource throws {@link DistributionException}
 * naming it. Loaded values are cached per distribution, and {@link #pg18()} is one instance per
 * class loader, so the cost (about a second to parse the backend module) is paid once per JVM.
 *
 * <p>PostgreSQL 18 is in this jar and is the default. Other versions are separate artifacts (PostgreSQL 17:
 * {@code io.pglite:pglite-distribution-pg17}) that register a {@link DistributionProvider}; find one with
 * {@link #forVersion(String)}.
 * All methods are thread-safe.
 *
 * <p>Instantiating the backend with its compiled code:
 *
 * <pre>{@code
 * Distribution dist = Distribution.pg18();
 * Instance instance = Instance.builder(dist.pgliteModule())
 *         .withMachineFactory(dist.pgliteMachineFactory())
 *         .withImportValues(imports) // env.memory and the env / wasi_snapshot_preview1 functions
 *         .build();
 * }</pre>
 */
public final class Distribution {

    private static final Logger LOG = LoggerFactory.getLogger(Distribution.class);

    /** Class path folder of the PostgreSQL 18 distribution. */
    static final String PG18_ROOT = "io/pglite/distribution/pg18/";

    /** Resource names, relative to the distribution's root. */
    static final String MANIFEST = "distribution.manifest";

    static final String DATA = "pglite.data";
    static final String FILE_INDEX = "pglite.data.index";
    static final String EXTENSIONS_FOLDER = "extensions/";
    static final String EXTENSION_SUFFIX = ".tar.gz";

    /** Maven coordinates of the distributions that are not in this jar, by PostgreSQL major version. */
    private static final Map<Integer, String> ARTIFACTS = Map.of(17, "io.pglite:pglite-distribution-pg17");

    /** The PostgreSQL major version used when none is asked for. */
    public static final int DEFAULT_MAJOR_VERSION = 18;

    private final String id;
    private final ResourceSource source;
    private final String machinePackage;
    private final RelocatableLayout pgliteLayout;
    private final RelocatableLayout initdbLayout;
    private final Function<Instance, Machine> pgliteMachineFactory;
    private final Function<Instance, Machine> initdbMachineFactory;

    private final Lazy<Manifest> manifest = new Lazy<>(this::loadManifest);
    private final Lazy<ByteBuffer> data = new Lazy<>(this::loadData);
    private final Lazy<List<PackagedFile>> files = new Lazy<>(this::loadFiles);
    private final Lazy<WasmModule> pgliteModule;
    private final Lazy<WasmModule> initdbModule;
    /** Resources whose bytes have been checked against the manifest. */
    private final Set<String> verified = ConcurrentHashMap.newKeySet();

    private static final class Pg18Holder {
        static final Distribution INSTANCE =
                new Distribution(
                        "pg18",
                        ResourceSource.classpath(Distribution.class, PG18_ROOT),
                        PgliteModule::create,
                        InitdbModule::create);
    }

    Distribution(
            String id,
            ResourceSource source,
            Function<Instance, Machine> pgliteMachineFactory,
            Function<Instance, Machine> initdbMachineFactory) {
        this(id, source, PgliteModule.class.getPackageName(), pgliteMachineFactory, PgliteModule.META_RESOURCE,
                initdbMachineFactory, InitdbModule.META_RESOURCE, null, null);
    }

    private Distribution(
            String id,
            ResourceSource source,
            String machinePackage,
            Function<Instance, Machine> pgliteMachineFactory,
            String pgliteMeta,
            Function<Instance, Machine> initdbMachineFactory,
            String initdbMeta,
            RelocatableLayout pgliteLayout,
            RelocatableLayout initdbLayout) {
        this.id = Objects.requireNonNull(id, "id");
        this.source = Objects.requireNonNull(source, "source");
        this.machinePackage = Objects.requireNonNull(machinePackage, "machinePackage");
        this.pgliteMachineFactory = Objects.requireNonNull(pgliteMachineFactory);
        this.initdbMachineFactory = Objects.requireNonNull(initdbMachineFactory);
        this.pgliteModule = new Lazy<>(() -> loadModule(pgliteMeta));
        this.initdbModule = new Lazy<>(() -> loadModule(initdbMeta));
        this.pgliteLayout = pgliteLayout;
        this.initdbLayout = initdbLayout;
    }

    /**
     * Describes a distribution packaged on the class path the way the build packages one (a folder with
     * {@code distribution.manifest}, the {@code .meta} modules, {@code pglite.data} and its index, extension
     * bundles, and the compiled machine classes). For {@link DistributionProvider} implementations.
     *
     * @param id short name, for example {@code pg17}
     * @param anchor the generated {@code PgliteModule} class: its package holds the resources and the compiled
     *     machine classes
     * @param pgliteMachineFactory the compiled backend ({@code PgliteModule::create})
     * @param pgliteMeta the backend's {@code .meta} resource ({@code PgliteModule.META_RESOURCE})
     * @param initdbMachineFactory the compiled {@code initdb} ({@code InitdbModule::create})
     * @param initdbMeta the {@code initdb} {@code .meta} resource ({@code InitdbModule.META_RESOURCE})
     * @param pgliteLayout loader values for a relocatable backend module, or {@code null} if it has none
     * @param initdbLayout loader values for a relocatable {@code initdb} module, or {@code null}
     * @return a new distribution; loading is lazy
     */
    public static Distribution packaged(
            String id,
            Class<?> anchor,
            Function<Instance, Machine> pgliteMachineFactory,
            String pgliteMeta,
            Function<Instance, Machine> initdbMachineFactory,
            String initdbMeta,
            RelocatableLayout pgliteLayout,
            RelocatableLayout initdbLayout) {
        String root = anchor.getPackageName().replace('.', '/') + "/";
        return new Distribution(id, ResourceSource.classpath(anchor, root), anchor.getPackageName(),
                pgliteMachineFactory, pgliteMeta, initdbMachineFactory, initdbMeta, pgliteLayout, initdbLayout);
    }

    /**
     * Finds the distribution of a PostgreSQL version: {@code 18} (or {@code 18.6}) is in this jar; other
     * versions come from their own artifact on the class path, found with {@link ServiceLoader}.
     *
     * @param version a major version ({@code "17"}) or the exact version ({@code "17.5"}); empty or
     *     {@code null} means the default ({@value #DEFAULT_MAJOR_VERSION})
     * @return the distribution (one instance per version and class loader)
     * @throws IllegalArgumentException if the version is malformed, unknown, or its artifact is not on the class
     *     path (the message names the Maven coordinates to add)
     */
    public static Distribution forVersion(String version) {
        if (version == null || version.isBlank()) {
            return pg18();
        }
        String v = version.trim();
        int major;
        try {
            major = Integer.parseInt(v.contains(".") ? v.substring(0, v.indexOf('.')) : v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("PostgreSQL version \"" + version + "\" is not a version like 17 or"
                    + " 17.5; available: " + describeAvailable());
        }
        Distribution d = major == DEFAULT_MAJOR_VERSION ? pg18() : Providers.BY_MAJOR.get(major);
        if (d == null) {
            String artifact = ARTIFACTS.get(major);
            if (artifact != null) {
                throw new IllegalArgumentException("PostgreSQL " + major + " is a separate artifact: add "
                        + artifact + " (the same version as pglite-core-runtime) to the class path; available: "
                        + describeAvailable());
            }
            throw new IllegalArgumentException("PostgreSQL " + version + " is not available; available: "
                    + describeAvailable());
        }
        if (v.contains(".") && !v.equals(d.postgresVersion())) {
            throw new IllegalArgumentException("PostgreSQL " + version + " is not available (the PostgreSQL " + major
                    + " distribution is " + d.postgresVersion() + "); available: " + describeAvailable());
        }
        return d;
    }

    /**
     * Returns the distributions on the class path, by PostgreSQL major version: 18 always, others when their
     * artifact is present.
     *
     * @return an unmodifiable sorted map
     */
    public static Map<Integer, Distribution> available() {
        Map<Integer, Distribution> all = new TreeMap<>(Providers.BY_MAJOR);
        all.put(DEFAULT_MAJOR_VERSION, pg18());
        return java.util.Collections.unmodifiableMap(all);
    }

    private static String describeAvailable() {
        StringBuilder sb = new StringBuilder();
        for (Map.Entry<Integer, Distribution> e : available().entrySet()) {
            if (sb.length() > 0) {
                sb.append(", ");
            }
            sb.append(e.getKey()).append(" (").append(e.getValue().postgresVersion()).append(")");
        }
        for (Map.Entry<Integer, String> e : new TreeMap<>(ARTIFACTS).entrySet()) {
            if (!available().containsKey(e.getKey())) {
                sb.append("; ").append(e.getKey()).append(" needs ").append(e.getValue());
            }
        }
        return sb.toString();
    }

    /** The registered providers, loaded once per class loader. */
    private static final class Providers {
        static final Map<Integer, Distribution> BY_MAJOR = load();

        private static Map<Integer, Distribution> load() {
            Map<Integer, Distribution> m = new TreeMap<>();
            for (DistributionProvider p : ServiceLoader.load(DistributionProvider.class, Distribution.class.getClassLoader())) {
                Distribution previous = m.putIfAbsent(p.postgresMajorVersion(), p.distribution());
                if (previous != null) {
                    LOG.warn("two PGlite distributions for PostgreSQL {} on the class path; using {}",
                            p.postgresMajorVersion(), previous);
                }
            }
            m.remove(DEFAULT_MAJOR_VERSION); // always the one in this jar
            return m;
        }
    }

    /**
     * Returns the PostgreSQL major version of this distribution.
     *
     * @return for example 17
     * @throws DistributionException if the manifest is missing or malformed
     */
    public int majorVersion() {
        String v = postgresVersion();
        return Integer.parseInt(v.contains(".") ? v.substring(0, v.indexOf('.')) : v);
    }

    /**
     * Returns the loader values the backend module needs if it is relocatable (PGlite 0.4.x), for
     * {@code EmscriptenProcess.Builder.withLayout}.
     *
     * @return the layout, or {@code null} for a module that defines its own globals and table
     */
    public RelocatableLayout pgliteLayout() {
        return pgliteLayout;
    }

    /**
     * Returns the loader values {@code initdb.wasm} needs if it is relocatable (PGlite 0.4.x).
     *
     * @return the layout, or {@code null}
     */
    public RelocatableLayout initdbLayout() {
        return initdbLayout;
    }

    /**
     * Returns the PostgreSQL 18 distribution packaged in this jar. Loading is lazy: this call does
     * no I/O.
     *
     * @return the distribution (the same instance on every call)
     */
    public static Distribution pg18() {
        return Pg18Holder.INSTANCE;
    }

    /**
     * Test hook: the pg18 layout read from a folder instead of the class path (same compiled code).
     *
     * @param root folder holding {@code distribution.manifest} and the resources it lists
     * @return a new, independent distribution
     */
    static Distribution pg18At(Path root) {
        return new Distribution(
                "pg18@" + root,
                ResourceSource.directory(root),
                PgliteModule::create,
                InitdbModule::create);
    }

    // ------------------------------------------------------------------------------ facts

    /**
     * Returns the npm package version this distribution was built from.
     *
     * @return for example {@code 0.5.16}
     * @throws DistributionException if the manifest is missing or malformed
     */
    public String npmVersion() {
        return fact("npm.version");
    }

    /**
     * Returns a digest that changes whenever anything in this distribution changes: the SHA-256 of its
     * manifest, which records the npm package's integrity and the size and SHA-256 of every packaged resource
     * (the wasm modules, their compiled code, the data files). Caches of things made from the distribution
     * (templates) use it in their keys.
     *
     * @return 64 hex digits
     * @throws DistributionException if the manifest is missing or malformed
     */
    public String digest() {
        return manifest.get().sha256();
    }

    /**
     * Returns the PostgreSQL version compiled into this distribution.
     *
     * @return for example {@code 18.6}
     * @throws DistributionException if the manifest is missing or malformed
     */
    public String postgresVersion() {
        return fact("postgres.version");
    }

    /**
     * Returns all facts recorded in the manifest: {@code npm.package}, {@code npm.version},
     * {@code npm.integrity}, {@code postgres.version}, {@code postgres.versionString},
     * {@code chicory.version}, {@code distribution.id}.
     *
     * @return an unmodifiable map
     * @throws DistributionException if the manifest is missing or malformed
     */
    public Map<String, String> facts() {
        return manifest.get().facts();
    }

    private String fact(String key) {
        String value = manifest.get().facts().get(key);
        if (value == null) {
            throw new DistributionException(
                    MANIFEST, "PGlite distribution manifest " + where(MANIFEST) + " has no fact " + key);
        }
        return value;
    }

    // ---------------------------------------------------------------------------- modules

    private final java.util.concurrent.atomic.AtomicBoolean preloading = new java.util.concurrent.atomic.AtomicBoolean();

    /**
     * Starts loading what instantiating the backend needs, on two background threads: parsing
     * {@link #pgliteModule()} and loading (and verifying) the classes of its compiled code. A JVM that is about to
     * start a cluster does this while it reads its template and snapshot from disk, instead of one after the
     * other. Idempotent; returns at once.
     */
    public void preloadInBackground() {
        if (!preloading.compareAndSet(false, true)) {
            return;
        }
        Thread module = new Thread(() -> {
            try {
                pgliteModule();
            } catch (RuntimeException e) {
                LOG.debug("preloading the backend module failed (it is loaded again when needed): {}", e.toString());
            }
        }, "pglite-preload-module");
        Thread classes = new Thread(() -> {
            long t0 = System.nanoTime();
            int n = 0;
            String pkg = machinePackage + ".";
            for (String name : resourceNames()) {
                if (name.startsWith("PgliteMachine") && name.endsWith(".class")) {
                    try {
                        Class.forName(pkg + name.substring(0, name.length() - ".class".length()), true,
                                Distribution.class.getClassLoader());
                        n++;
                    } catch (ClassNotFoundException | LinkageError e) {
                        LOG.debug("preloading {} failed: {}", name, e.toString());
                    }
                }
            }
            LOG.debug("preloaded {} classes of the compiled backend in {} ms", n, millisSince(t0));
        }, "pglite-preload-classes");
        module.setDaemon(true);
        classes.setDaemon(true);
        module.start();
        classes.start();
    }

    /**
     * Returns the parsed backend module ({@code pglite.wasm} as compiled at build time: every
     * function body that was compiled to bytecode is a stub, so instantiate it only with
     * {@link #pgliteMachineFactory()}). Parsed once, on first call.
     *
     * @return the module
     * @throws DistributionException if its resource is missing, corrupt or cannot be parsed
     */
    public WasmModule pgliteModule() {
        return pgliteModule.get();
    }

    /**
     * Returns the machine factory running the build-time compiled code of the backend; pass it to
     * {@code Instance.Builder.withMachineFactory} together with {@link #pgliteModule()}.
     *
     * @return the factory (cheap; loads no resources)
     */
    public Function<Instance, Machine> pgliteMachineFactory() {
        return pgliteMachineFactory;
    }

    /**
     * Returns the parsed {@code initdb.wasm} module (compiled at build time like the backend;
     * instantiate it only with {@link #initdbMachineFactory()}). Parsed once, on first call.
     *
     * @return the module
     * @throws DistributionException if its resource is missing, corrupt or cannot be parsed
     */
    public WasmModule initdbModule() {
        return initdbModule.get();
    }

    /**
     * Returns the machine factory running the build-time compiled code of {@code initdb.wasm}.
     *
     * @return the factory (cheap; loads no resources)
     */
    public Function<Instance, Machine> initdbMachineFactory() {
        return initdbMachineFactory;
    }

    // ------------------------------------------------------------------------------ files

    /**
     * Returns {@code pglite.data}, the blob holding the bytes of every file in {@link #files()}.
     *
     * @return a read-only buffer of the whole blob (a new view on each call, position 0)
     * @throws DistributionException if the resource is missing or corrupt
     */
    public ByteBuffer data() {
        return data.get().asReadOnlyBuffer();
    }

    /**
     * Returns the entries to create in the wasm file system before the server starts: the
     * directories the Emscripten glue creates (first, parents before children) and every file
     * placed from {@link #data()}, in the glue's order.
     *
     * @return an unmodifiable list
     * @throws DistributionException if the index is missing, corrupt or inconsistent with the data
     */
    public List<PackagedFile> files() {
        return files.get();
    }

    /**
     * Returns the bytes of one packaged file.
     *
     * @param file a file entry of {@link #files()}
     * @return a read-only buffer of its bytes
     * @throws IllegalArgumentException if {@code file} is a directory or outside the data
     * @throws DistributionException if {@code pglite.data} is missing or corrupt
     */
    public ByteBuffer contents(PackagedFile file) {
        Objects.requireNonNull(file, "file");
        if (file.directory()) {
            throw new IllegalArgumentException(file.path() + " is a directory");
        }
        ByteBuffer all = data();
        if (file.end() > all.capacity()) {
            throw new IllegalArgumentException(file.path() + " lies outside " + DATA);
        }
        return all.slice(file.start(), file.size()).asReadOnlyBuffer();
    }

    // -------------------------------------------------------------------------- resources

    /**
     * Returns the names of the contrib extension bundles, for example {@code hstore} or
     * {@code pg_trgm}; open one with {@code openResource("extensions/" + name + ".tar.gz")}.
     *
     * @return sorted, unmodifiable
     * @throws DistributionException if the manifest is missing or malformed
     */
    public List<String> extensionNames() {
        List<String> names = new ArrayList<>();
        for (String n : manifest.get().names()) {
            if (n.startsWith(EXTENSIONS_FOLDER) && n.endsWith(EXTENSION_SUFFIX)) {
                names.add(n.substring(EXTENSIONS_FOLDER.length(), n.length() - EXTENSION_SUFFIX.length()));
            }
        }
        names.sort(null);
        return List.copyOf(names);
    }

    /**
     * Returns the names of all resources listed in the manifest (relative to the distribution
     * root; includes the compiled classes).
     *
     * @return unmodifiable, in manifest order
     * @throws DistributionException if the manifest is missing or malformed
     */
    public List<String> resourceNames() {
        return manifest.get().names();
    }

    /**
     * Opens a packaged resource, for example {@code extensions/hstore.tar.gz}. The resource is
     * checked against the manifest the first time it is opened in this JVM.
     *
     * @param name name relative to the distribution root, as listed by {@link #resourceNames()}
     * @return a stream the caller closes
     * @throws DistributionException if the resource is not in the manifest, missing or corrupt
     */
    public InputStream openResource(String name) {
        Objects.requireNonNull(name, "name");
        if (verified.contains(name)) {
            try {
                InputStream in = source.open(name);
                if (in != null) {
                    return in;
                }
            } catch (IOException e) {
                throw new DistributionException(name, "cannot read PGlite distribution resource " + where(name), e);
            }
            throw missing(name);
        }
        return new ByteArrayInputStream(readVerified(name));
    }

    /**
     * Checks every resource listed in the manifest (including the compiled classes) against its
     * recorded size and SHA-256.
     *
     * @throws DistributionException naming the first missing or corrupt resource
     */
    public void verifyAll() {
        long t0 = System.nanoTime();
        long bytes = 0;
        for (String name : manifest.get().names()) {
            bytes += readVerified(name).length;
        }
        LOG.debug("Verified {} resources ({} bytes) of PGlite distribution {} in {} ms",
                manifest.get().names().size(), bytes, id, millisSince(t0));
    }

    @Override
    public String toString() {
        return "Distribution[" + id + "]";
    }

    // ---------------------------------------------------------------------------- loading

    private Manifest loadManifest() {
        byte[] bytes;
        try (InputStream in = source.open(MANIFEST)) {
            if (in == null) {
                throw missing(MANIFEST);
            }
            bytes = in.readAllBytes();
        } catch (IOException e) {
            throw new DistributionException(MANIFEST, "cannot read PGlite distribution resource " + where(MANIFEST), e);
        }
        return Manifest.parse(MANIFEST, bytes);
    }

    /** Reads a resource listed in the manifest and checks its size and hash. */
    private byte[] readVerified(String name) {
        Manifest.Entry entry = manifest.get().entry(name);
        if (entry == null) {
            throw new DistributionException(
                    name, "PGlite distribution resource " + name + " is not listed in the manifest " + where(MANIFEST));
        }
        byte[] bytes;
        try (InputStream in = source.open(name)) {
            if (in == null) {
                throw missing(name);
            }
            bytes = in.readAllBytes();
        } catch (IOException e) {
            throw new DistributionException(name, "cannot read PGlite distribution resource " + where(name), e);
        }
        String actual = sha256(bytes);
        if (bytes.length != entry.size() || !actual.equals(entry.sha256())) {
            throw new DistributionException(
                    name,
                    "PGlite distribution resource " + where(name) + " is corrupt: expected SHA-256 "
                            + entry.sha256() + " (" + entry.size() + " bytes), actual SHA-256 " + actual
                            + " (" + bytes.length + " bytes)");
        }
        verified.add(name);
        return bytes;
    }

    private ByteBuffer loadData() {
        long t0 = System.nanoTime();
        ByteBuffer buffer = ByteBuffer.wrap(readVerified(DATA)).asReadOnlyBuffer();
        LOG.debug("Loaded {} ({} bytes) of PGlite distribution {} in {} ms", DATA, buffer.capacity(), id, millisSince(t0));
        return buffer;
    }

    private List<PackagedFile> loadFiles() {
        String text = new String(readVerified(FILE_INDEX), StandardCharsets.UTF_8);
        long dataSize = manifest.get().entry(DATA) == null ? -1 : manifest.get().entry(DATA).size();
        List<PackagedFile> result = new ArrayList<>();
        int lineNo = 0;
        for (String line : text.split("\n", -1)) {
            lineNo++;
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] f = line.split("\t", -1);
            try {
                if (f.length != 4) {
                    throw new IllegalArgumentException("expected 4 fields");
                }
                int start = Integer.parseInt(f[1]);
                int end = Integer.parseInt(f[2]);
                PackagedFile entry;
                switch (f[0]) {
                    case "d" -> entry = PackagedFile.directory(f[3]);
                    case "f" -> entry = PackagedFile.file(f[3], start, end);
                    default -> throw new IllegalArgumentException("unknown kind " + f[0]);
                }
                if (!entry.directory() && dataSize >= 0 && entry.end() > dataSize) {
                    throw new IllegalArgumentException("outside " + DATA + " (" + dataSize + " bytes)");
                }
                result.add(entry);
            } catch (IllegalArgumentException e) {
                throw new DistributionException(
                        FILE_INDEX,
                        "PGlite distribution resource " + where(FILE_INDEX) + " is malformed at line " + lineNo
                                + " (" + e.getMessage() + "): " + line);
            }
        }
        return List.copyOf(result);
    }

    private WasmModule loadModule(String name) {
        long t0 = System.nanoTime();
        byte[] bytes = readVerified(name);
        long tRead = System.nanoTime();
        WasmModule module;
        try {
            module = Parser.parse(bytes);
            // Instances must start from the declared table size even if other code grows the shared limits.
            io.pglite.wasm.dylink.PrivateTableFactory.rememberDeclaredLimits(module);
        } catch (RuntimeException e) {
            throw new DistributionException(name, "cannot parse PGlite distribution module " + where(name), e);
        }
        LOG.info(
                "Loaded {} of PGlite distribution {} in {} ms ({} bytes; read and verified in {} ms, parsed in {} ms)",
                name, id, millisSince(t0), bytes.length, (tRead - t0) / 1_000_000, millisSince(tRead));
        return module;
    }

    private DistributionException missing(String name) {
        return new DistributionException(name, "PGlite distribution resource " + name + " is missing: " + where(name));
    }

    private String where(String name) {
        return source.describe(name);
    }

    private static long millisSince(long t0) {
        return (System.nanoTime() - t0) / 1_000_000;
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 not available", e);
        }
    }
}
