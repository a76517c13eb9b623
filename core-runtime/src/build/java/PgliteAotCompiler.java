/*
 * Build-time tool of pglite-java (not part of the library). It is run by the Maven build of
 * core-runtime through the JDK's single-file source launcher:
 *
 *   java -cp <chicory compiler classpath> src/build/java/PgliteAotCompiler.java [options]
 *
 * For every wasm module given with --module it
 *   1. compiles the module to JVM bytecode with Chicory's compiler (com.dylibso.chicory:compiler),
 *   2. writes the classes of the compiled machine,
 *   3. writes the ".meta" module the compiled machine is instantiated with: the original module with
 *      every function body that was compiled replaced by a stub ("unreachable") and every body that
 *      stays interpreted copied unchanged,
 *   4. checks the .meta it wrote (interpreted bodies byte-identical to the original, all others stubs),
 *   5. generates the Java source of a small "<Name>Module" class (factory for the machine),
 *   6. reports the interpreted functions (and fails when --fail-on-interpreted true).
 *
 * Normally nothing stays interpreted: the build splits the functions of pglite.wasm that are too large
 * for a JVM method first (src/build/pglite-split.mjs). --force-interpreted Base:name,... makes the named
 * exported functions interpreted on purpose; the build uses it for a test fixture (initdb.wasm with a
 * few interpreted functions, test classpath only) that keeps the .meta handling below tested.
 *
 * Why not chicory-compiler-maven-plugin 1.7.5: its Generator#generateMetaWasm maps code-section
 * entry i to function index "importSection().importCount() + i". importCount() counts ALL imports
 * (functions, memories, tables, globals, tags), but the function index space only counts function
 * imports. pglite.wasm imports env.memory, so every interpreted function index is off by one: the
 * .meta keeps the body of the preceding function and stubs the function that is really interpreted,
 * which then traps with "unreachable". Here the function-import count is used, and the result is
 * verified before anything is written.
 *
 * A stamp file makes a rebuild with unchanged inputs skip the (slow) compilation.
 */

import com.dylibso.chicory.compiler.InterpreterFallback;
import com.dylibso.chicory.compiler.internal.ByteClassCollector;
import com.dylibso.chicory.compiler.internal.Compiler;
import com.dylibso.chicory.compiler.internal.CompilerResult;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.Export;
import com.dylibso.chicory.wasm.types.ExternalType;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.Type;
import org.objectweb.asm.tree.AbstractInsnNode;
import org.objectweb.asm.tree.ClassNode;
import org.objectweb.asm.tree.InsnList;
import org.objectweb.asm.tree.InsnNode;
import org.objectweb.asm.tree.IntInsnNode;
import org.objectweb.asm.tree.JumpInsnNode;
import org.objectweb.asm.tree.LabelNode;
import org.objectweb.asm.tree.LdcInsnNode;
import org.objectweb.asm.tree.LookupSwitchInsnNode;
import org.objectweb.asm.tree.MethodInsnNode;
import org.objectweb.asm.tree.MethodNode;
import org.objectweb.asm.tree.TableSwitchInsnNode;
import org.objectweb.asm.tree.VarInsnNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;

public final class PgliteAotCompiler {

    private static final int SECTION_CUSTOM = 0;
    private static final int SECTION_IMPORT = 2;
    private static final int SECTION_CODE = 10;
    /** Custom sections copied into the .meta module (all others are dropped, as the plugin does). */
    private static final Set<String> KEPT_CUSTOM_SECTIONS = Set.of("dylink.0");
    /** A function body of no locals whose code is "unreachable; end". */
    private static final byte[] STUB_BODY = {0x00, 0x00, 0x0b};
    private static final String PREFIX = "[pglite-aot] ";

    private String packageName;
    private Path classesDir;
    private Path sourcesDir;
    private Path workDir;
    private boolean failOnInterpreted;
    private String chicoryVersion = "unknown";
    private String toolHash = "";
    private final List<ModuleSpec> modules = new ArrayList<>();
    private final Map<String, Set<String>> forcedInterpreted = new HashMap<>();

    /** One module to compile: base class name (e.g. Pglite), wasm path, meta resource name. */
    record ModuleSpec(String baseName, Path wasm, String metaName) {}

    public static void main(String[] args) throws Exception {
        var tool = new PgliteAotCompiler();
        try {
            tool.parseArgs(args);
            boolean anyInterpreted = false;
            for (var spec : tool.modules) {
                anyInterpreted |= tool.process(spec);
            }
            if (anyInterpreted && tool.failOnInterpreted) {
                System.err.println(PREFIX + "ERROR: functions stay interpreted and"
                        + " pglite.failOnInterpreted=true (see the list above)");
                System.exit(2);
            }
        } catch (BuildFailure e) {
            System.err.println(PREFIX + "ERROR: " + e.getMessage());
            System.exit(1);
        }
    }

    static final class BuildFailure extends Exception {
        BuildFailure(String message) {
            super(message);
        }
    }

    private void parseArgs(String[] args) throws Exception {
        for (int i = 0; i < args.length; i++) {
            String key = args[i];
            if (i + 1 >= args.length) {
                throw new BuildFailure("missing value for " + key);
            }
            String value = args[++i];
            switch (key) {
                case "--package" -> packageName = value;
                case "--classes-dir" -> classesDir = Path.of(value);
                case "--sources-dir" -> sourcesDir = Path.of(value);
                case "--work-dir" -> workDir = Path.of(value);
                case "--fail-on-interpreted" -> failOnInterpreted = Boolean.parseBoolean(value.trim());
                case "--chicory-version" -> chicoryVersion = value;
                case "--tool-source" -> toolHash = sha256(Files.readAllBytes(Path.of(value)));
                case "--module" -> {
                    // Base:wasmPath:metaName (the path may contain ':' on Windows, so split ends)
                    int first = value.indexOf(':');
                    int last = value.lastIndexOf(':');
                    if (first < 0 || last == first) {
                        throw new BuildFailure("--module wants Base:path/to/module.wasm:name.meta, got " + value);
                    }
                    modules.add(new ModuleSpec(value.substring(0, first),
                            Path.of(value.substring(first + 1, last)), value.substring(last + 1)));
                }
                case "--force-interpreted" -> {
                    // Base:name1,name2 - export names of functions to leave interpreted on purpose
                    int colon = value.indexOf(':');
                    var names = Arrays.stream(value.substring(colon + 1).split(","))
                            .map(String::trim).filter(s -> !s.isEmpty()).collect(Collectors.toSet());
                    forcedInterpreted.put(value.substring(0, colon), names);
                }
                default -> throw new BuildFailure("unknown option " + key);
            }
        }
        if (packageName == null || classesDir == null || sourcesDir == null || workDir == null
                || modules.isEmpty()) {
            throw new BuildFailure("required: --package --classes-dir --sources-dir --work-dir --module");
        }
    }

    /** Returns true if the module has interpreted functions. */
    private boolean process(ModuleSpec spec) throws Exception {
        long t0 = System.nanoTime();
        byte[] wasmBytes = Files.readAllBytes(spec.wasm());
        String wasmHash = sha256(wasmBytes);
        String machineSimple = spec.baseName() + "Machine";
        String moduleSimple = spec.baseName() + "Module";
        Path packageDir = classesDir.resolve(packageName.replace('.', '/'));
        Path metaFile = packageDir.resolve(spec.metaName());
        Path sourceFile = sourcesDir.resolve(packageName.replace('.', '/')).resolve(moduleSimple + ".java");
        Path stampFile = workDir.resolve(spec.baseName() + ".stamp");
        Path reportFile = workDir.resolve(spec.baseName() + "-interpreted.tsv");

        String stamp = "wasm.sha256=" + wasmHash + "\ntool.sha256=" + toolHash
                + "\nchicory=" + chicoryVersion + "\npackage=" + packageName
                + "\nmeta=" + spec.metaName() + "\nforced=" + new TreeSet<>(
                        forcedInterpreted.getOrDefault(spec.baseName(), Set.of())) + "\n";
        if (Files.isRegularFile(stampFile) && Files.readString(stampFile).equals(stamp)
                && Files.isRegularFile(metaFile) && Files.isRegularFile(sourceFile)
                && Files.isRegularFile(packageDir.resolve(machineSimple + ".class"))
                && Files.isRegularFile(reportFile)) {
            System.out.println(PREFIX + spec.wasm().getFileName() + ": up to date, compilation skipped");
            return report(spec, Files.readAllLines(reportFile), false);
        }

        System.out.println(PREFIX + "compiling " + spec.wasm() + " (" + wasmBytes.length + " bytes) to "
                + packageName + "." + machineSimple);
        long tParse = System.nanoTime();
        WasmModule module = Parser.parse(wasmBytes);
        int functionImports = module.importSection().count(ExternalType.FUNCTION);
        int allImports = module.importSection().importCount();
        int rawFunctionImports = countFunctionImportsRaw(wasmBytes);
        if (rawFunctionImports != functionImports) {
            throw new BuildFailure("function import count disagrees: Chicory " + functionImports
                    + ", raw import section " + rawFunctionImports);
        }
        Map<Integer, String> names = functionNames(module);
        System.out.printf(PREFIX + "parsed in %d ms: %d imports (%d functions), %d functions defined%n",
                ms(tParse), allImports, functionImports, module.functionSection().functionCount());

        // Compile. A function too large for a JVM method is reported by the compiler, which then
        // retries with that function interpreted (SILENT fallback); the report below lists them all.
        long tCompile = System.nanoTime();
        String className = packageName + "." + machineSimple;
        Set<String> forcedNames = forcedInterpreted.getOrDefault(spec.baseName(), Set.of());
        Set<Integer> forced = new TreeSet<>();
        for (var e : names.entrySet()) {
            if (forcedNames.contains(e.getValue())) {
                forced.add(e.getKey());
            }
        }
        if (forced.size() != forcedNames.size()) {
            throw new BuildFailure("--force-interpreted " + forcedNames + " names unknown exports of " + spec.wasm());
        }
        // (Chicory only accepts a fixed interpreted set together with FAIL: a forced set must leave no
        // other function too large.)
        CompilerResult result = Compiler.builder(module).withClassName(className)
                .withClassCollectorFactory(ByteClassCollector::new)
                .withInterpreterFallback(forced.isEmpty() ? InterpreterFallback.SILENT : InterpreterFallback.FAIL)
                .withInterpretedFunctions(forced.isEmpty() ? null : forced).build().compile();
        Set<Integer> interpreted = new TreeSet<>(result.interpretedFunctions());
        Map<String, byte[]> classes = new TreeMap<>(result.classBytes());
        long compileMs = ms(tCompile);
        int[] bound = AccessBinder.bindAll(classes, packageName.replace('.', '/') + "/" + machineSimple + "Shaded");
        log(spec.wasm().getFileName() + ": " + bound[0] + " memory and global accesses bound to "
                + AccessBinder.TARGET.replace('/', '.') + ", " + bound[1] + " interruption checks removed");
        int switchesSplit = SwitchSplitter.splitAll(classes);
        if (switchesSplit > 0) {
            log(spec.wasm().getFileName() + ": " + switchesSplit + " dispatch switch method(s) split into methods of at most "
                    + SwitchSplitter.CASES_PER_METHOD + " cases (JIT-compilable)");
        }
        reportHugeMethods(spec, classes);

        // Write classes (remove those of an earlier compile first: the number of groups may change).
        Files.createDirectories(packageDir);
        try (Stream<Path> old = Files.list(packageDir)) {
            for (Path p : old.filter(p -> p.getFileName().toString().startsWith(machineSimple)
                    && p.getFileName().toString().endsWith(".class")).toList()) {
                Files.delete(p);
            }
        }
        long classBytesTotal = 0;
        for (var e : classes.entrySet()) {
            // the collector keys classes by binary or internal name, depending on the class
            String binaryName = e.getKey().replace('/', '.');
            if (!binaryName.startsWith(packageName + "." + machineSimple)) {
                throw new BuildFailure("unexpected generated class " + e.getKey());
            }
            Path target = classesDir.resolve(binaryName.replace('.', '/') + ".class");
            Files.write(target, e.getValue());
            classBytesTotal += e.getValue().length;
        }

        // Write and verify the .meta module.
        byte[] meta = buildMeta(wasmBytes, functionImports, interpreted);
        verifyMeta(wasmBytes, meta, functionImports, interpreted, module);
        Files.write(metaFile, meta);

        Files.createDirectories(sourceFile.getParent());
        Files.writeString(sourceFile, moduleSource(spec, moduleSimple, machineSimple, wasmHash,
                functionImports, interpreted, names));

        List<String> lines = new ArrayList<>();
        List<byte[]> bodies = codeBodies(wasmBytes);
        for (int id : interpreted) {
            lines.add(id + "\t" + names.getOrDefault(id, "?") + "\t"
                    + bodies.get(id - functionImports).length + "\t" + (forced.contains(id) ? "forced" : "too-large"));
        }
        Files.createDirectories(workDir);
        Files.write(reportFile, lines);
        Files.writeString(stampFile, stamp);

        Runtime rt = Runtime.getRuntime();
        System.out.printf(PREFIX + "%s: compiled in %d ms (total %d ms): %d classes, %d bytes of bytecode,"
                        + " .meta %d bytes; heap max %d MB, used now %d MB%n",
                spec.wasm().getFileName(), compileMs, ms(t0), classes.size(), classBytesTotal, meta.length,
                rt.maxMemory() >> 20, (rt.totalMemory() - rt.freeMemory()) >> 20);
        return report(spec, lines, true);
    }

    /** Prints the interpreted functions; returns true if any is interpreted without being forced. */
    private boolean report(ModuleSpec spec, List<String> lines, boolean fresh) {
        List<String> tooLarge = lines.stream().filter(l -> !l.endsWith("\tforced")).toList();
        List<String> forced = lines.stream().filter(l -> l.endsWith("\tforced")).toList();
        for (String line : forced) {
            String[] f = line.split("\t");
            System.out.println(PREFIX + spec.wasm().getFileName() + ": function " + f[0] + " " + f[1]
                    + " interpreted on purpose (--force-interpreted)");
        }
        if (tooLarge.isEmpty()) {
            System.out.println(PREFIX + spec.wasm().getFileName() + ": every function compiled to bytecode"
                    + (forced.isEmpty() ? "" : " except the " + forced.size() + " forced above"));
            return false;
        }
        System.out.println(PREFIX + (failOnInterpreted ? "" : "WARNING ") + spec.wasm().getFileName() + ": "
                + tooLarge.size() + " function(s) exceed the JVM method size and stay interpreted"
                + (failOnInterpreted ? "" : " (pglite.failOnInterpreted=false)")
                + "; lower pglite.split.maxNodes or split this module too:");
        for (String line : tooLarge) {
            String[] f = line.split("\t");
            System.out.println(PREFIX + "  function " + f[0] + " " + f[1] + " (" + f[2] + " bytes of wasm)");
        }
        return true;
    }

    // ---------------------------------------------------------------- wasm binary helpers

    private static final class Reader {
        final byte[] b;
        int p;

        Reader(byte[] b, int p) {
            this.b = b;
            this.p = p;
        }

        long u32() {
            long result = 0;
            int shift = 0;
            int x;
            do {
                x = b[p++] & 0xff;
                result |= (long) (x & 0x7f) << shift;
                shift += 7;
            } while ((x & 0x80) != 0);
            return result;
        }

        String name() {
            int n = (int) u32();
            String s = new String(b, p, n, StandardCharsets.UTF_8);
            p += n;
            return s;
        }
    }

    /** A section as found in the binary: id, payload offset and length. */
    record Section(int id, int start, int length) {}

    static List<Section> sections(byte[] wasm) throws BuildFailure {
        if (wasm.length < 8 || wasm[0] != 0 || wasm[1] != 'a' || wasm[2] != 's' || wasm[3] != 'm') {
            throw new BuildFailure("not a wasm module");
        }
        List<Section> out = new ArrayList<>();
        Reader r = new Reader(wasm, 8);
        while (r.p < wasm.length) {
            int id = wasm[r.p++] & 0xff;
            int size = (int) r.u32();
            out.add(new Section(id, r.p, size));
            r.p += size;
        }
        return out;
    }

    static int countFunctionImportsRaw(byte[] wasm) throws BuildFailure {
        for (Section s : sections(wasm)) {
            if (s.id() != SECTION_IMPORT) {
                continue;
            }
            Reader r = new Reader(wasm, s.start());
            int count = (int) r.u32();
            int functions = 0;
            for (int i = 0; i < count; i++) {
                r.name();
                r.name();
                int kind = wasm[r.p++] & 0xff;
                switch (kind) {
                    case 0 -> { // func: type index
                        r.u32();
                        functions++;
                    }
                    case 1 -> { // table: reftype + limits
                        r.p++;
                        skipLimits(r);
                    }
                    case 2 -> skipLimits(r); // memory
                    case 3 -> r.p += 2; // global: valtype (single byte for MVP types) + mut
                    case 4 -> { // tag: attribute + type index
                        r.p++;
                        r.u32();
                    }
                    default -> throw new BuildFailure("unknown import kind " + kind);
                }
            }
            return functions;
        }
        return 0;
    }

    private static void skipLimits(Reader r) {
        int flags = r.b[r.p++] & 0xff;
        r.u32();
        if ((flags & 1) != 0) {
            r.u32();
        }
    }

    /** The raw bytes (locals + code, without the size prefix) of every code-section entry. */
    static List<byte[]> codeBodies(byte[] wasm) throws BuildFailure {
        for (Section s : sections(wasm)) {
            if (s.id() == SECTION_CODE) {
                Reader r = new Reader(wasm, s.start());
                int count = (int) r.u32();
                List<byte[]> bodies = new ArrayList<>(count);
                for (int i = 0; i < count; i++) {
                    int size = (int) r.u32();
                    bodies.add(Arrays.copyOfRange(wasm, r.p, r.p + size));
                    r.p += size;
                }
                if (r.p != s.start() + s.length()) {
                    throw new BuildFailure("code section length mismatch");
                }
                return bodies;
            }
        }
        return List.of();
    }

    private static String customName(byte[] wasm, Section s) {
        return new Reader(wasm, s.start()).name();
    }

    static byte[] buildMeta(byte[] wasm, int functionImports, Set<Integer> interpreted) throws BuildFailure {
        var out = new ByteArrayOutputStream();
        out.write(wasm, 0, 8);
        for (Section s : sections(wasm)) {
            if (s.id() == SECTION_CUSTOM) {
                if (KEPT_CUSTOM_SECTIONS.contains(customName(wasm, s))) {
                    writeSection(out, s.id(), Arrays.copyOfRange(wasm, s.start(), s.start() + s.length()));
                }
            } else if (s.id() == SECTION_CODE) {
                List<byte[]> bodies = codeBodies(wasm);
                var code = new ByteArrayOutputStream();
                writeU32(code, bodies.size());
                for (int i = 0; i < bodies.size(); i++) {
                    // function index = number of FUNCTION imports + position in the code section
                    byte[] body = interpreted.contains(functionImports + i) ? bodies.get(i) : STUB_BODY;
                    writeU32(code, body.length);
                    code.writeBytes(body);
                }
                writeSection(out, s.id(), code.toByteArray());
            } else {
                writeSection(out, s.id(), Arrays.copyOfRange(wasm, s.start(), s.start() + s.length()));
            }
        }
        return out.toByteArray();
    }

    private static void writeSection(ByteArrayOutputStream out, int id, byte[] payload) {
        out.write(id);
        writeU32(out, payload.length);
        out.writeBytes(payload);
    }

    private static void writeU32(ByteArrayOutputStream out, long value) {
        do {
            int b = (int) (value & 0x7f);
            value >>>= 7;
            out.write(value != 0 ? b | 0x80 : b);
        } while (value != 0);
    }

    static void verifyMeta(byte[] wasm, byte[] meta, int functionImports, Set<Integer> interpreted,
            WasmModule original) throws BuildFailure {
        List<byte[]> orig = codeBodies(wasm);
        List<byte[]> kept = codeBodies(meta);
        if (orig.size() != kept.size()) {
            throw new BuildFailure(".meta has " + kept.size() + " bodies, original " + orig.size());
        }
        for (int i = 0; i < orig.size(); i++) {
            int id = functionImports + i;
            byte[] expected = interpreted.contains(id) ? orig.get(i) : STUB_BODY;
            if (!Arrays.equals(expected, kept.get(i))) {
                throw new BuildFailure(".meta body of function " + id + " is wrong");
            }
        }
        // Chicory must accept it and see the same function index space.
        WasmModule parsed = Parser.parse(meta);
        if (parsed.importSection().count(ExternalType.FUNCTION) != functionImports
                || parsed.functionSection().functionCount() != original.functionSection().functionCount()
                || parsed.typeSection().typeCount() != original.typeSection().typeCount()) {
            throw new BuildFailure(".meta does not have the original's function index space");
        }
        for (int id : interpreted) {
            var a = original.codeSection().getFunctionBody(id - functionImports);
            var b = parsed.codeSection().getFunctionBody(id - functionImports);
            if (a.instructions().size() != b.instructions().size() || !a.localTypes().equals(b.localTypes())) {
                throw new BuildFailure(".meta body of interpreted function " + id + " parses differently");
            }
        }
    }

    private static Map<Integer, String> functionNames(WasmModule module) {
        Map<Integer, String> names = new TreeMap<>();
        var nameSection = module.nameSection();
        int total = module.importSection().count(ExternalType.FUNCTION) + module.functionSection().functionCount();
        if (nameSection != null) {
            for (int i = 0; i < total; i++) {
                String n = nameSection.nameOfFunction(i);
                if (n != null) {
                    names.put(i, n);
                }
            }
        }
        var exports = module.exportSection();
        for (int i = 0; i < exports.exportCount(); i++) {
            Export e = exports.getExport(i);
            if (e.exportType() == ExternalType.FUNCTION) {
                names.putIfAbsent((int) e.index(), e.name());
            }
        }
        return names;
    }

    // ---------------------------------------------------------------- generated source

    private String moduleSource(ModuleSpec spec, String moduleSimple, String machineSimple, String wasmHash,
            int functionImports, Set<Integer> interpreted, Map<Integer, String> names) {
        String ids = interpreted.stream().map(String::valueOf).collect(Collectors.joining(", "));
        String idNames = interpreted.stream()
                .map(i -> "\"" + names.getOrDefault(i, "").replace("\\", "\\\\").replace("\"", "\\\"") + "\"")
                .collect(Collectors.joining(", "));
        String wasmName = spec.wasm().getFileName().toString();
        return "package " + packageName + ";\n\n"
                + "import com.dylibso.chicory.runtime.Instance;\n"
                + "import com.dylibso.chicory.runtime.Machine;\n\n"
                + "/**\n"
                + " * Build-time compiled form of {@code " + wasmName + "}, generated by the pglite-java build\n"
                + " * (PgliteAotCompiler, Chicory " + chicoryVersion + "); do not edit.\n"
                + " *\n"
                + " * <p>The functions of the module are JVM bytecode in {@link " + machineSimple + "}; the\n"
                + " * module structure (types, imports, exports, data, and the bodies of functions that stay\n"
                + " * interpreted) is the resource {@value #META_RESOURCE} next to this class. Normally used\n"
                + " * through {@code io.pglite.distribution.Distribution}.\n"
                + " */\n"
                + "public final class " + moduleSimple + " {\n\n"
                + "    /** Name of the meta module resource, relative to this class's package folder. */\n"
                + "    public static final String META_RESOURCE = \"" + spec.metaName() + "\";\n\n"
                + "    /** File name of the original wasm module in the npm package. */\n"
                + "    public static final String SOURCE_WASM = \"" + wasmName + "\";\n\n"
                + "    /** SHA-256 (hex) of the wasm module this class was compiled from (for pglite.wasm: after\n"
                + "     * the build split its largest functions). */\n"
                + "    public static final String SOURCE_WASM_SHA256 = \"" + wasmHash + "\";\n\n"
                + "    /** Number of function imports; defined functions start at this index. */\n"
                + "    public static final int FUNCTION_IMPORT_COUNT = " + functionImports + ";\n\n"
                + "    private static final int[] INTERPRETED_FUNCTIONS = {" + ids + "};\n\n"
                + "    private static final String[] INTERPRETED_FUNCTION_NAMES = {" + idNames + "};\n\n"
                + "    private " + moduleSimple + "() {}\n\n"
                + "    /**\n"
                + "     * Creates the compiled machine for an instance of the meta module; pass as\n"
                + "     * {@code Instance.builder(module).withMachineFactory(" + moduleSimple + "::create)}.\n"
                + "     *\n"
                + "     * @param instance the instance being built\n"
                + "     * @return the machine running the compiled functions\n"
                + "     */\n"
                + "    public static Machine create(Instance instance) {\n"
                + "        return new " + machineSimple + "(instance);\n"
                + "    }\n\n"
                + "    /**\n"
                + "     * Function indices (in the module's function index space) that run in Chicory's\n"
                + "     * interpreter instead of as bytecode; empty in a normal build (the build fails otherwise).\n"
                + "     *\n"
                + "     * @return a fresh array, ascending\n"
                + "     */\n"
                + "    public static int[] interpretedFunctions() {\n"
                + "        return INTERPRETED_FUNCTIONS.clone();\n"
                + "    }\n\n"
                + "    /**\n"
                + "     * Names (from the export or name section; empty if unknown) of\n"
                + "     * {@link #interpretedFunctions()}, in the same order.\n"
                + "     *\n"
                + "     * @return a fresh array\n"
                + "     */\n"
                + "    public static String[] interpretedFunctionNames() {\n"
                + "        return INTERPRETED_FUNCTION_NAMES.clone();\n"
                + "    }\n"
                + "}\n";
    }

    // ---------------------------------------------------------------- misc

    private static long ms(long startNanos) {
        return (System.nanoTime() - startNanos) / 1_000_000;
    }

    static String sha256(byte[] data) throws NoSuchAlgorithmException {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    }

    // ------------------------------------------------------------------ methods the JIT does not compile

    /**
     * HotSpot leaves methods of more than 8,000 bytes of bytecode to its bytecode interpreter (the product flag
     * -XX:-DontCompileHugeMethods lifts this; HugeMethodLimit itself cannot be changed in product builds).
     */
    static final int JIT_METHOD_LIMIT = 8000;

    static void log(String message) {
        System.out.println(PREFIX + message);
    }

    /** Logs the generated methods the JIT will not compile, largest first (the build does not fail on them). */
    static void reportHugeMethods(ModuleSpec spec, Map<String, byte[]> classes) throws IOException {
        List<String> huge = new ArrayList<>();
        long hugeBytes = 0;
        for (var e : classes.entrySet()) {
            for (var m : codeLengths(e.getValue()).entrySet()) {
                if (m.getValue() > JIT_METHOD_LIMIT) {
                    String cls = e.getKey().replace('/', '.');
                    huge.add(m.getValue() + " " + cls.substring(cls.lastIndexOf('.') + 1) + "." + m.getKey().substring(0, m.getKey().indexOf('(')));
                    hugeBytes += m.getValue();
                }
            }
        }
        huge.sort(java.util.Comparator.comparingInt((String h) -> Integer.parseInt(h.substring(0, h.indexOf(' ')))).reversed());
        log(spec.wasm().getFileName() + ": " + huge.size() + " method(s) over " + JIT_METHOD_LIMIT
                + " bytes of bytecode (" + hugeBytes + " bytes), left to the JVM's interpreter by default"
                + (huge.isEmpty() ? "" : ": " + String.join(", ", huge.subList(0, Math.min(12, huge.size())))
                        + (huge.size() > 12 ? ", ..." : "")));
    }

    /** Bytecode length of each method of a class file (name + descriptor -> bytes), read from its Code attributes. */
    static Map<String, Integer> codeLengths(byte[] classFile) throws IOException {
        DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(classFile));
        in.skipBytes(8);
        int count = in.readUnsignedShort();
        String[] utf8 = new String[count];
        for (int i = 1; i < count; i++) {
            int tag = in.readUnsignedByte();
            switch (tag) {
                case 1 -> utf8[i] = in.readUTF();
                case 3, 4 -> in.skipBytes(4);
                case 5, 6 -> { in.skipBytes(8); i++; }
                case 7, 8, 16, 19, 20 -> in.skipBytes(2);
                case 9, 10, 11, 12, 17, 18 -> in.skipBytes(4);
                case 15 -> in.skipBytes(3);
                default -> throw new IOException("constant pool tag " + tag);
            }
        }
        in.skipBytes(6);
        in.skipBytes(2 * in.readUnsignedShort());
        Map<String, Integer> out = new TreeMap<>();
        for (int pass = 0; pass < 2; pass++) { // fields, then methods
            int members = in.readUnsignedShort();
            for (int k = 0; k < members; k++) {
                in.skipBytes(2);
                String name = utf8[in.readUnsignedShort()] + utf8[in.readUnsignedShort()];
                int attributes = in.readUnsignedShort();
                for (int a = 0; a < attributes; a++) {
                    String attribute = utf8[in.readUnsignedShort()];
                    int length = in.readInt();
                    if (pass == 1 && attribute.equals("Code")) {
                        in.skipBytes(4);
                        int codeLength = in.readInt();
                        out.put(name, codeLength);
                        in.skipBytes(length - 8);
                    } else {
                        in.skipBytes(length);
                    }
                }
            }
        }
        return out;
    }

    /**
     * Points the compiled code's memory and global accesses at {@code io.pglite.wasm.MachineAccess} instead
     * of Chicory's helpers (see that class for why). Loads and stores keep their descriptors. {@code
     * global.get}/{@code global.set} take the function's {@code Memory} parameter instead of its {@code
     * Instance}: Chicory emits them as "push index, load the Instance parameter, call"; the load is changed to
     * the Memory parameter (the one before it), so stack shapes and frames stay as they were. An access whose
     * Instance does not come straight from that parameter is left alone. Chicory's interruption check before
     * every call is dropped (see below).
     */
    static final class AccessBinder {
        static final String TARGET = "io/pglite/wasm/MachineAccess";
        private static final String MEMORY = "Lcom/dylibso/chicory/runtime/Memory;";
        private static final String INSTANCE = "Lcom/dylibso/chicory/runtime/Instance;";
        /** Chicory's load and store helpers (name + descriptor); MachineAccess has the same ones. */
        private static final Set<String> MEMORY_HELPERS = Stream.of(
                "memoryReadByte(II)B", "memoryReadShort(II)S", "memoryReadInt(II)I", "memoryReadLong(II)J",
                "memoryReadFloat(II)F", "memoryReadDouble(II)D", "memoryWriteByte(IBI)V", "memoryWriteShort(ISI)V",
                "memoryWriteInt(III)V", "memoryWriteLong(IJI)V", "memoryWriteFloat(IFI)V", "memoryWriteDouble(IDI)V")
                .map(k -> k.replace(")", MEMORY + ")")).collect(Collectors.toUnmodifiableSet());

        private AccessBinder() {}

        /** Returns {accesses bound, interruption checks removed}. */
        static int[] bindAll(Map<String, byte[]> classes, String shaded) {
            int[] total = new int[2];
            for (var e : classes.entrySet()) {
                if (e.getKey().replace('.', '/').equals(shaded)) {
                    continue;
                }
                ClassNode cn = new ClassNode();
                new ClassReader(e.getValue()).accept(cn, 0);
                int[] n = new int[2];
                for (MethodNode m : cn.methods) {
                    bind(m, shaded, n);
                }
                if (n[0] + n[1] > 0) {
                    ClassWriter cw = new ClassWriter(0); // stack shapes unchanged: frames and maxima stay valid
                    cn.accept(cw);
                    e.setValue(cw.toByteArray());
                    total[0] += n[0];
                    total[1] += n[1];
                }
            }
            return total;
        }

        private static void bind(MethodNode m, String shaded, int[] counts) {
            if (m.instructions.size() == 0) {
                return;
            }
            Type[] params = Type.getArgumentTypes(m.desc);
            int instanceSlot = -1;
            int memorySlot = -1;
            int n = params.length;
            if (n >= 2 && (m.access & Opcodes.ACC_STATIC) != 0 && params[n - 1].getDescriptor().equals(INSTANCE)
                    && params[n - 2].getDescriptor().equals(MEMORY)) {
                int slot = 0;
                for (int i = 0; i < n - 2; i++) {
                    slot += params[i].getSize();
                }
                memorySlot = slot;
                instanceSlot = slot + 1;
            }
            for (AbstractInsnNode insn : m.instructions.toArray()) {
                if (insn.getOpcode() != Opcodes.INVOKESTATIC) {
                    continue;
                }
                MethodInsnNode call = (MethodInsnNode) insn;
                if (!call.owner.equals(shaded)) {
                    continue;
                }
                String key = call.name + call.desc;
                if (key.equals("checkInterruption()V")) {
                    // Chicory polls Thread.isInterrupted() before every call so that an interrupt can stop a
                    // runaway module; here nothing interrupts a thread that runs the backend (cancel and
                    // timeouts reach PostgreSQL as signals), and unwinding PostgreSQL at an arbitrary call
                    // would leave its state broken anyway. One call site per wasm call otherwise costs a
                    // volatile read each time and a share of the JIT's inlining budget. (A nop keeps every
                    // stack map frame at an offset of its own; compiled code has no trace of it.)
                    m.instructions.set(insn, new InsnNode(Opcodes.NOP));
                    counts[1]++;
                    continue;
                }
                if (MEMORY_HELPERS.contains(key)) {
                    call.owner = TARGET;
                    counts[0]++;
                } else if ((key.equals("readGlobal(I" + INSTANCE + ")J")
                        || key.equals("writeGlobal(JI" + INSTANCE + ")V")) && memorySlot >= 0) {
                    // (not across a label: a jump there could bring an Instance pushed elsewhere)
                    AbstractInsnNode prev = call.getPrevious();
                    while (prev != null && prev.getOpcode() < 0 && !(prev instanceof LabelNode)) {
                        prev = prev.getPrevious();
                    }
                    if (prev instanceof VarInsnNode v && v.getOpcode() == Opcodes.ALOAD && v.var == instanceSlot) {
                        v.var = memorySlot;
                        call.owner = TARGET;
                        call.desc = call.desc.replace(INSTANCE, MEMORY);
                        counts[0]++;
                    }
                }
            }
        }
    }

    /**
     * Splits Chicory's dispatch methods into methods the JIT compiles. Chicory compiles every call_indirect
     * through an "Indirect" class whose one method switches over all functions of a type (hundreds to
     * thousands of cases, each a static call and a return), and calls by function index through "Dispatch"
     * classes of 4,096 cases: 9-33 KB methods that HotSpot leaves to its interpreter, on the path of every
     * indirect call of PostgreSQL (function managers, memory contexts, executor nodes).
     *
     * <p>A method over the JIT's limit of that shape (argument loads, one switch on an int argument, then for each case a block
     * without branches that ends in a return or throw) becomes a small method switching on the key's range of
     * 256 values, which calls one of several methods with the same descriptor, each the original switch
     * restricted to the cases of its range. Behaviour is unchanged: the same function is called for every key,
     * and an unknown key reaches the original default block. Any other method is left alone.
     */
    static final class SwitchSplitter {
        static final int CASES_PER_METHOD = 256;
        private static final int MIN_CASES = 2 * CASES_PER_METHOD;

        private SwitchSplitter() {}

        static int splitAll(Map<String, byte[]> classes) throws IOException {
            int total = 0;
            for (var e : classes.entrySet()) {
                // Only methods the JIT would refuse are worth it; reading the class file's Code lengths is much
                // cheaper than building an ASM tree of every class (most have no such method).
                Set<String> oversized = codeLengths(e.getValue()).entrySet().stream()
                        .filter(m -> m.getValue() > JIT_METHOD_LIMIT).map(Map.Entry::getKey)
                        .collect(Collectors.toSet());
                if (oversized.isEmpty()) {
                    continue;
                }
                ClassNode cn = new ClassNode();
                new ClassReader(e.getValue()).accept(cn, ClassReader.SKIP_FRAMES);
                List<MethodNode> added = new ArrayList<>();
                int split = 0;
                for (MethodNode m : cn.methods) {
                    if (oversized.contains(m.name + m.desc) && split(cn, m, added)) {
                        split++;
                    }
                }
                if (split == 0) {
                    continue;
                }
                cn.methods.addAll(added);
                ClassWriter cw = new ClassWriter(ClassWriter.COMPUTE_FRAMES | ClassWriter.COMPUTE_MAXS) {
                    @Override
                    protected String getCommonSuperClass(String a, String b) {
                        return "java/lang/Object"; // never needed: every branch target sees the same types
                    }
                };
                cn.accept(cw);
                e.setValue(cw.toByteArray());
                total += split;
            }
            return total;
        }

        private static boolean isReal(AbstractInsnNode n) {
            return n.getOpcode() >= 0;
        }

        private static boolean split(ClassNode cn, MethodNode m, List<MethodNode> added) {
            if ((m.access & Opcodes.ACC_STATIC) == 0 || m.tryCatchBlocks != null && !m.tryCatchBlocks.isEmpty()) {
                return false;
            }
            List<AbstractInsnNode> prefix = new ArrayList<>();
            AbstractInsnNode n = m.instructions.getFirst();
            for (; n != null && !(n instanceof TableSwitchInsnNode) && !(n instanceof LookupSwitchInsnNode); n = n.getNext()) {
                if (!isReal(n)) {
                    continue;
                }
                if (!(n instanceof VarInsnNode)) {
                    return hoist(cn, m, added);
                }
                prefix.add(n);
            }
            if (n == null || prefix.isEmpty() || prefix.get(prefix.size() - 1).getOpcode() != Opcodes.ILOAD) {
                return false;
            }
            int keyVar = ((VarInsnNode) prefix.get(prefix.size() - 1)).var;
            TreeMap<Integer, LabelNode> cases = new TreeMap<>();
            LabelNode dflt;
            if (n instanceof TableSwitchInsnNode t) {
                for (int i = 0; i < t.labels.size(); i++) {
                    if (t.labels.get(i) != t.dflt) {
                        cases.put(t.min + i, t.labels.get(i));
                    }
                }
                dflt = t.dflt;
            } else {
                LookupSwitchInsnNode l = (LookupSwitchInsnNode) n;
                for (int i = 0; i < l.keys.size(); i++) {
                    cases.put(l.keys.get(i), l.labels.get(i));
                }
                dflt = l.dflt;
            }
            if (cases.size() < MIN_CASES) {
                return false;
            }
            // every target must start a straight block ending in a return or athrow
            Map<LabelNode, List<AbstractInsnNode>> blocks = new HashMap<>();
            for (LabelNode target : new java.util.HashSet<>(concat(cases.values(), dflt))) {
                List<AbstractInsnNode> block = new ArrayList<>();
                AbstractInsnNode x = target.getNext();
                for (; x != null; x = x.getNext()) {
                    if (!isReal(x)) {
                        continue;
                    }
                    if (x instanceof JumpInsnNode || x instanceof TableSwitchInsnNode || x instanceof LookupSwitchInsnNode) {
                        return false;
                    }
                    block.add(x);
                    int op = x.getOpcode();
                    if ((op >= Opcodes.IRETURN && op <= Opcodes.RETURN) || op == Opcodes.ATHROW) {
                        break;
                    }
                }
                if (x == null) {
                    return false;
                }
                blocks.put(target, block);
            }

            // one method per range of 256 key values
            int base = cases.firstKey();
            TreeMap<Integer, List<Integer>> ranges = new TreeMap<>();
            for (int key : cases.keySet()) {
                ranges.computeIfAbsent((int) (((long) key - base) >>> 8), r -> new ArrayList<>()).add(key);
            }
            Type type = Type.getMethodType(m.desc);
            Map<Integer, String> rangeMethod = new TreeMap<>();
            for (var r : ranges.entrySet()) {
                String name = m.name + "$range" + r.getKey();
                rangeMethod.put(r.getKey(), name);
                MethodNode part = new MethodNode(Opcodes.ACC_PRIVATE | Opcodes.ACC_STATIC | Opcodes.ACC_SYNTHETIC,
                        name, m.desc, null, m.exceptions == null ? null : m.exceptions.toArray(new String[0]));
                InsnList code = part.instructions;
                Map<LabelNode, LabelNode> labels = new HashMap<>();
                for (AbstractInsnNode p : prefix) {
                    code.add(p.clone(labels));
                }
                LabelNode partDefault = new LabelNode();
                List<Integer> keys = r.getValue();
                LabelNode[] targets = new LabelNode[keys.size()];
                Map<LabelNode, LabelNode> copies = new HashMap<>();
                for (int i = 0; i < keys.size(); i++) {
                    targets[i] = copies.computeIfAbsent(cases.get(keys.get(i)), x -> new LabelNode());
                }
                code.add(new LookupSwitchInsnNode(partDefault, keys.stream().mapToInt(Integer::intValue).toArray(), targets));
                for (var c : copies.entrySet()) {
                    code.add(c.getValue());
                    for (AbstractInsnNode x : blocks.get(c.getKey())) {
                        code.add(x.clone(labels));
                    }
                }
                code.add(partDefault);
                for (AbstractInsnNode x : blocks.get(dflt)) {
                    code.add(x.clone(labels));
                }
                added.add(part);
            }

            // the method itself: pick the range, call its method with the same arguments
            InsnList code = new InsnList();
            LabelNode outOfRange = new LabelNode();
            code.add(new VarInsnNode(Opcodes.ILOAD, keyVar));
            code.add(new LdcInsnNode(base));
            code.add(new InsnNode(Opcodes.ISUB));
            code.add(new IntInsnNode(Opcodes.BIPUSH, 8));
            code.add(new InsnNode(Opcodes.IUSHR));
            int maxRange = ranges.lastKey();
            LabelNode[] targets = new LabelNode[maxRange + 1];
            Map<Integer, LabelNode> rangeLabel = new TreeMap<>();
            for (int r = 0; r <= maxRange; r++) {
                // a range without cases goes to the first range's method, whose default handles the key
                int target = ranges.containsKey(r) ? r : ranges.firstKey();
                targets[r] = rangeLabel.computeIfAbsent(target, x -> new LabelNode());
            }
            code.add(new TableSwitchInsnNode(0, maxRange, outOfRange, targets));
            code.add(outOfRange);
            LabelNode first = rangeLabel.get(ranges.firstKey());
            code.add(new JumpInsnNode(Opcodes.GOTO, first));
            for (var rl : rangeLabel.entrySet()) {
                code.add(rl.getValue());
                int slot = 0;
                for (Type arg : type.getArgumentTypes()) {
                    code.add(new VarInsnNode(arg.getOpcode(Opcodes.ILOAD), slot));
                    slot += arg.getSize();
                }
                code.add(new MethodInsnNode(Opcodes.INVOKESTATIC, cn.name, rangeMethod.get(rl.getKey()), m.desc, false));
                code.add(new InsnNode(type.getReturnType().getOpcode(Opcodes.IRETURN)));
            }
            m.instructions = code;
            m.localVariables = null;
            m.maxStack = 0;
            m.maxLocals = 0;
            return true;
        }

        /**
         * A method whose switch comes after other code: Chicory's {@code call_indirect_N} methods when the switch
         * over the functions of a type is inline, behind the table lookup and the instance check. The loads
         * right before the switch push the arguments of the call every case makes and then the key; they and the
         * switch move to a new method taking those values as parameters (the new method has the shape
         * {@link #split} takes, and is split by ranges), and the original method calls it in the switch's place.
         * Taken only if every case is "invokestatic with exactly those arguments, then return" (or a throw
         * helper without arguments, then athrow) and no other instruction jumps into a case.
         */
        private static boolean hoist(ClassNode cn, MethodNode m, List<MethodNode> added) {
            AbstractInsnNode sw = null;
            for (AbstractInsnNode x : m.instructions) {
                if (x instanceof TableSwitchInsnNode || x instanceof LookupSwitchInsnNode) {
                    if (sw != null) {
                        return false;
                    }
                    sw = x;
                }
            }
            if (sw == null) {
                return false;
            }
            List<VarInsnNode> loads = new ArrayList<>();
            for (AbstractInsnNode p = sw.getPrevious(); p != null; p = p.getPrevious()) {
                if (!isReal(p)) {
                    if (p instanceof LabelNode) {
                        break; // a jump target: what precedes it is not known to run right before
                    }
                    continue;
                }
                int op = p.getOpcode();
                if (!(p instanceof VarInsnNode) || op < Opcodes.ILOAD || op > Opcodes.ALOAD) {
                    break;
                }
                loads.add(0, (VarInsnNode) p);
            }
            if (loads.size() < 2 || loads.get(loads.size() - 1).getOpcode() != Opcodes.ILOAD) {
                return false;
            }
            List<VarInsnNode> args = loads.subList(0, loads.size() - 1);
            List<LabelNode> targets = new ArrayList<>();
            LabelNode dflt;
            if (sw instanceof TableSwitchInsnNode t) {
                targets.addAll(t.labels);
                dflt = t.dflt;
            } else {
                targets.addAll(((LookupSwitchInsnNode) sw).labels);
                dflt = ((LookupSwitchInsnNode) sw).dflt;
            }
            if (targets.size() < MIN_CASES) {
                return false;
            }
            // the argument types, from the first case's call
            Type[] argTypes = null;
            Set<LabelNode> caseLabels = new java.util.HashSet<>(concat(targets, dflt));
            for (LabelNode target : caseLabels) {
                AbstractInsnNode call = nextReal(target);
                AbstractInsnNode end = call == null ? null : nextReal(call);
                if (!(call instanceof MethodInsnNode mi) || mi.getOpcode() != Opcodes.INVOKESTATIC || end == null) {
                    return false;
                }
                Type[] callArgs = Type.getArgumentTypes(mi.desc);
                if (end.getOpcode() == Opcodes.ATHROW && callArgs.length == 0) {
                    continue;
                }
                if (end.getOpcode() < Opcodes.IRETURN || end.getOpcode() > Opcodes.RETURN) {
                    return false;
                }
                if (argTypes == null) {
                    argTypes = callArgs;
                } else if (!Arrays.equals(argTypes, callArgs)) {
                    return false;
                }
            }
            if (argTypes == null || argTypes.length != args.size()) {
                return false;
            }
            for (int i = 0; i < args.size(); i++) {
                if (args.get(i).getOpcode() != argTypes[i].getOpcode(Opcodes.ILOAD)) {
                    return false;
                }
            }
            // no other jump into a case
            for (AbstractInsnNode x : m.instructions) {
                if (x == sw) {
                    continue;
                }
                List<LabelNode> refs = new ArrayList<>();
                if (x instanceof JumpInsnNode j) {
                    refs.add(j.label);
                } else if (x instanceof TableSwitchInsnNode t) {
                    refs.addAll(t.labels);
                    refs.add(t.dflt);
                } else if (x instanceof LookupSwitchInsnNode l) {
                    refs.addAll(l.labels);
                    refs.add(l.dflt);
                }
                for (LabelNode r : refs) {
                    if (caseLabels.contains(r)) {
                        return false;
                    }
                }
            }
            if (m.tryCatchBlocks != null && !m.tryCatchBlocks.isEmpty()) {
                return false;
            }
            Type returnType = Type.getReturnType(m.desc);
            Type[] params = Arrays.copyOf(argTypes, argTypes.length + 1);
            params[argTypes.length] = Type.INT_TYPE;
            String desc = Type.getMethodDescriptor(returnType, params);
            MethodNode inner = new MethodNode(Opcodes.ACC_PRIVATE | Opcodes.ACC_STATIC | Opcodes.ACC_SYNTHETIC,
                    m.name + "$switch", desc, null, null);
            Map<LabelNode, LabelNode> labels = new HashMap<>();
            for (LabelNode l : caseLabels) {
                labels.put(l, new LabelNode());
            }
            int slot = 0;
            for (Type t : params) {
                inner.instructions.add(new VarInsnNode(t.getOpcode(Opcodes.ILOAD), slot));
                slot += t.getSize();
            }
            inner.instructions.add(sw.clone(labels));
            for (LabelNode l : caseLabels) {
                AbstractInsnNode call = nextReal(l);
                inner.instructions.add(labels.get(l));
                inner.instructions.add(call.clone(labels));
                inner.instructions.add(nextReal(call).clone(labels));
            }
            // the original: the same loads, then the call in the switch's place; the cases go
            for (LabelNode l : caseLabels) {
                AbstractInsnNode call = nextReal(l);
                m.instructions.remove(nextReal(call));
                m.instructions.remove(call);
            }
            m.instructions.insertBefore(sw, new MethodInsnNode(Opcodes.INVOKESTATIC, cn.name, inner.name, desc, false));
            m.instructions.insertBefore(sw, new InsnNode(returnType.getOpcode(Opcodes.IRETURN)));
            m.instructions.remove(sw);
            m.maxStack = 0;
            m.maxLocals = 0;
            added.add(inner);
            split(cn, inner, added);
            return true;
        }

        private static AbstractInsnNode nextReal(AbstractInsnNode n) {
            AbstractInsnNode x = n.getNext();
            while (x != null && !isReal(x)) {
                x = x.getNext();
            }
            return x;
        }

        private static List<LabelNode> concat(java.util.Collection<LabelNode> a, LabelNode b) {
            List<LabelNode> all = new ArrayList<>(a);
            all.add(b);
            return all;
        }
    }
}
