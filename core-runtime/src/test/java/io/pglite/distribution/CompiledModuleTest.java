package io.pglite.distribution;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.ImportMemory;
import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Machine;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.AnnotatedInstruction;
import com.dylibso.chicory.wasm.types.ExternalType;
import com.dylibso.chicory.wasm.types.FunctionBody;
import com.dylibso.chicory.wasm.types.FunctionImport;
import com.dylibso.chicory.wasm.types.Import;
import com.dylibso.chicory.wasm.types.MemoryImport;
import com.dylibso.chicory.wasm.types.OpCode;
import com.dylibso.chicory.wasm.types.SectionId;
import io.pglite.distribution.fixture.InitdbFixtureModule;
import io.pglite.distribution.pg18.InitdbMachine;
import io.pglite.distribution.pg18.InitdbModule;
import io.pglite.distribution.pg18.PgliteMachine;
import io.pglite.distribution.pg18.PgliteModule;
import io.pglite.wasm.PagedMemory;
import java.lang.reflect.Field;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

class CompiledModuleTest {

    private static final Logger LOG = LoggerFactory.getLogger(CompiledModuleTest.class);

    private final Distribution dist = Distribution.pg18();

    /** Every import satisfied: functions throw, {@code env.memory} is a fresh byte[] memory. */
    static Instance instantiate(WasmModule module, Function<Instance, Machine> machineFactory) {
        ImportValues.Builder imports = ImportValues.builder();
        for (int i = 0; i < module.importSection().importCount(); i++) {
            Import imp = module.importSection().getImport(i);
            String qualified = imp.module() + "." + imp.name();
            if (imp.importType() == ExternalType.FUNCTION) {
                var type = module.typeSection().getType(((FunctionImport) imp).typeIndex());
                imports.addFunction(new HostFunction(imp.module(), imp.name(), type, (instance, args) -> {
                    throw new UnsupportedOperationException("dummy import " + qualified + " called");
                }));
            } else if (imp.importType() == ExternalType.MEMORY) {
                // the compiled code is bound to the paged memory at build time (MachineAccess)
                imports.addMemory(new ImportMemory(imp.module(), imp.name(),
                        new PagedMemory(((MemoryImport) imp).limits())));
            } else {
                fail("unexpected import kind " + imp.importType() + " for " + qualified);
            }
        }
        return Instance.builder(module)
                .withImportValues(imports.build())
                .withMachineFactory(machineFactory)
                .build();
    }

    @Test
    void pgliteInstantiatesWithTheCompiledMachine() {
        long t0 = System.nanoTime();
        WasmModule module = dist.pgliteModule();
        long t1 = System.nanoTime();
        Instance instance = instantiate(module, dist.pgliteMachineFactory());
        long t2 = System.nanoTime();
        LOG.info("pglite module loaded in {} ms, instantiated in {} ms", (t1 - t0) / 1_000_000, (t2 - t1) / 1_000_000);

        assertThat(instance.getMachine()).isInstanceOf(PgliteMachine.class);
        assertThat(module.importSection().count(ExternalType.FUNCTION)).isEqualTo(PgliteModule.FUNCTION_IMPORT_COUNT);
        assertThat(instance.export("raw_parser")).isNotNull();
        assertThat(instance.export("pgl_startPGlite")).isNotNull();
        assertThat(instance.export("__main_argc_argv")).isNotNull();
        assertThat(instance.memory().pages()).isEqualTo(2048);
        // the data segments were copied: the version string is in memory
        assertThat(memoryContains(instance, "PostgreSQL 18.6 (PGlite 0.5.16)")).isTrue();
    }

    @Test
    void compiledCodeRuns() {
        Instance instance = instantiate(dist.pgliteModule(), dist.pgliteMachineFactory());
        var memory = instance.memory();
        int a = 100 << 20; // far above data, stack and heap start; nothing else runs here
        int b = a + 64;
        int buf = a + 128;
        memory.writeCString(a, "Hello PGlite");
        memory.writeCString(b, "hELLO pglITE");
        assertThat(instance.export("strlen").apply(a)[0]).isEqualTo(12);
        assertThat(instance.export("pg_strcasecmp").apply(a, b)[0]).isEqualTo(0);
        long len = instance.export("pg_ltoa").apply(-1234567, buf)[0];
        assertThat(memory.readString(buf, (int) len)).isEqualTo("-1234567");
    }

    @Test
    void initdbInstantiatesWithTheCompiledMachine() {
        Instance instance = instantiate(dist.initdbModule(), dist.initdbMachineFactory());
        assertThat(instance.getMachine()).isInstanceOf(InitdbMachine.class);
        assertThat(instance.export("pgl_set_system_fn")).isNotNull();
        assertThat(InitdbModule.interpretedFunctions()).isEmpty();
    }

    /**
     * Issue 9: every function of both modules runs as JVM bytecode. The build fails before this when a
     * function stays interpreted ({@code pglite.failOnInterpreted}, default true); this test also fails
     * when that check is switched off and something is interpreted. It looks at what the build recorded
     * ({@code interpretedFunctions()}), at the machine that runs ({@code compilerInterpreterMachine}
     * holds the interpreted set; the compiler only emits it when the set is not empty), and at the
     * {@code .meta} module (no body left to interpret: every one is a stub).
     */
    @Test
    void everyFunctionIsCompiledToBytecode() throws Exception {
        assertThat(PgliteModule.interpretedFunctions()).as("pglite.wasm functions left interpreted: %s",
                Arrays.toString(PgliteModule.interpretedFunctionNames())).isEmpty();
        assertThat(InitdbModule.interpretedFunctions()).as("initdb.wasm functions left interpreted: %s",
                Arrays.toString(InitdbModule.interpretedFunctionNames())).isEmpty();

        Instance pglite = instantiate(dist.pgliteModule(), dist.pgliteMachineFactory());
        assertThat(interpretedBy(pglite.getMachine())).as("interpreted by the pglite machine").isEmpty();
        Instance initdb = instantiate(dist.initdbModule(), dist.initdbMachineFactory());
        assertThat(interpretedBy(initdb.getMachine())).as("interpreted by the initdb machine").isEmpty();

        for (String meta : List.of(PgliteModule.META_RESOURCE, InitdbModule.META_RESOURCE)) {
            byte[] metaBytes;
            try (var in = dist.openResource(meta)) {
                metaBytes = in.readAllBytes();
            }
            List<byte[]> bodies = rawBodies(metaBytes);
            assertThat(bodies).as(meta).isNotEmpty();
            for (int i = 0; i < bodies.size(); i++) {
                assertThat(bodies.get(i)).as("%s body %d", meta, i).containsExactly(0x00, 0x00, 0x0b);
            }
        }
        // The .meta is the module the bytecode was compiled from (the split pglite.wasm), bodies aside.
        byte[] compiled = Files.readAllBytes(buildFile("pglite.split.dir", "pglite.wasm"));
        assertThat(PgliteModule.SOURCE_WASM_SHA256).isEqualTo(sha256(compiled));
        try (var in = dist.openResource(PgliteModule.META_RESOURCE)) {
            assertThat(rawBodies(in.readAllBytes())).hasSameSizeAs(rawBodies(compiled));
        }
    }

    /**
     * Regression test for the .meta bug of chicory-compiler-maven-plugin 1.7.5 (off by one when the
     * module imports a memory): for every function the compiled machine hands to Chicory's
     * interpreter, the body the interpreter runs must be the original body. The distribution has no
     * interpreted function any more, so this runs on the build's test fixture: initdb.wasm (which
     * imports {@code env.memory} too) compiled with {@code htons}, {@code htonl} and {@code strerror}
     * left interpreted on purpose.
     */
    @Test
    void interpretedFunctionsRunTheirOriginalBodies() throws Exception {
        byte[] originalBytes = Files.readAllBytes(buildFile("pglite.npm.dir", "package/dist/initdb.wasm"));
        assertThat(InitdbFixtureModule.SOURCE_WASM_SHA256).isEqualTo(sha256(originalBytes));
        WasmModule original = Parser.builder().includeSectionId(SectionId.CODE).withValidation(false).build()
                .parse(originalBytes);
        byte[] metaBytes;
        try (var in = InitdbFixtureModule.class.getResourceAsStream(InitdbFixtureModule.META_RESOURCE)) {
            assertThat(in).as("fixture resource " + InitdbFixtureModule.META_RESOURCE).isNotNull();
            metaBytes = in.readAllBytes();
        }
        Instance instance = instantiate(Parser.parse(metaBytes), InitdbFixtureModule::create);
        Set<Integer> interpreted = interpretedBy(instance.getMachine());

        // What the machine interprets is what the build reported: the three forced functions.
        assertThat(interpreted).containsExactlyInAnyOrderElementsOf(
                Arrays.stream(InitdbFixtureModule.interpretedFunctions()).boxed().toList());
        assertThat(InitdbFixtureModule.interpretedFunctionNames())
                .containsExactlyInAnyOrder("htons", "htonl", "strerror");

        int imports = InitdbFixtureModule.FUNCTION_IMPORT_COUNT;
        List<byte[]> originalRaw = rawBodies(originalBytes);
        List<byte[]> metaRaw = rawBodies(metaBytes);
        assertThat(metaRaw).hasSameSizeAs(originalRaw);
        for (int funcId : interpreted) {
            FunctionBody expected = original.codeSection().getFunctionBody(funcId - imports);
            FunctionBody actual = instance.function(funcId);
            assertSameBody(funcId, expected, actual);
            assertThat(metaRaw.get(funcId - imports)).as("raw body of function %d", funcId)
                    .isEqualTo(originalRaw.get(funcId - imports));
            assertThat(actual.instructions().size()).as("function %d is not a stub", funcId).isGreaterThan(2);
        }
        // Every other body is a stub: the machine never interprets it.
        int stubs = 0;
        for (int i = 0; i < metaRaw.size(); i++) {
            if (!interpreted.contains(imports + i)) {
                assertThat(metaRaw.get(i)).as("body of compiled function %d", imports + i)
                        .containsExactly(0x00, 0x00, 0x0b);
                List<AnnotatedInstruction> ins = instance.function(imports + i).instructions();
                assertThat(ins.get(0).opcode()).isEqualTo(OpCode.UNREACHABLE);
                stubs++;
            }
        }
        assertThat(stubs).isEqualTo(metaRaw.size() - interpreted.size());

        // And they run (a stub or a neighbour's body would trap or compute something else).
        assertThat(instance.export("htonl").apply(0x01020304L)[0]).isEqualTo(0x04030201L);
        assertThat(instance.export("htons").apply(0x1234L)[0]).isEqualTo(0x3412L);
        int message = (int) instance.export("strerror").apply(ENOENT)[0];
        assertThat(instance.memory().readCString(message)).isEqualTo("No such file or directory");
    }

    /** ENOENT in Emscripten's errno numbering (musl's wasi values). */
    private static final long ENOENT = 44;

    private static void assertSameBody(int funcId, FunctionBody expected, FunctionBody actual) {
        assertThat(actual.localTypes()).as("locals of function %d", funcId).isEqualTo(expected.localTypes());
        List<AnnotatedInstruction> e = expected.instructions();
        List<AnnotatedInstruction> a = actual.instructions();
        assertThat(a).as("instruction count of function %d", funcId).hasSameSizeAs(e);
        int delta = a.get(0).address() - e.get(0).address();
        List<String> mismatches = new ArrayList<>();
        for (int i = 0; i < e.size() && mismatches.size() < 5; i++) {
            AnnotatedInstruction x = e.get(i);
            AnnotatedInstruction y = a.get(i);
            boolean same = x.opcode() == y.opcode()
                    && Arrays.equals(x.operands(), y.operands())
                    && y.address() - x.address() == delta
                    && x.depth() == y.depth()
                    && x.labelTrue() == y.labelTrue()
                    && x.labelFalse() == y.labelFalse()
                    && java.util.Objects.equals(x.labelTable(), y.labelTable());
            if (!same) {
                mismatches.add(i + ": expected " + x + ", actual " + y);
            }
        }
        assertThat(mismatches).as("instructions of function %d", funcId).isEmpty();
    }

    /** The function ids a compiled machine hands to Chicory's interpreter (empty when it has none). */
    @SuppressWarnings("unchecked")
    static Set<Integer> interpretedBy(Machine machine) throws ReflectiveOperationException {
        Field f;
        try {
            f = machine.getClass().getDeclaredField("compilerInterpreterMachine");
        } catch (NoSuchFieldException e) {
            // Chicory's compiler only emits the field when some function is interpreted; make sure
            // this is a compiled machine and not some other Machine.
            assertThat(machine.getClass().getDeclaredField("instance")).isNotNull();
            return new TreeSet<>();
        }
        f.setAccessible(true);
        Object interpreter = f.get(machine);
        Field ids = interpreter.getClass().getDeclaredField("interpretedFuncIds");
        ids.setAccessible(true);
        return new TreeSet<>((Set<Integer>) ids.get(interpreter));
    }

    /** A file of the build (a folder given by Maven as a system property). */
    static Path buildFile(String property, String name) {
        String dir = System.getProperty(property);
        assertThat(dir).as("system property %s (set by the Maven build)", property).isNotNull();
        Path file = Path.of(dir, name);
        assertThat(file).as("build file").isRegularFile();
        return file;
    }

    static String sha256(byte[] data) throws java.security.NoSuchAlgorithmException {
        return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(data));
    }

    /** Raw code-section entries (locals + code) of a wasm binary. */
    static List<byte[]> rawBodies(byte[] wasm) {
        int[] p = {8};
        while (p[0] < wasm.length) {
            int id = wasm[p[0]++] & 0xff;
            int size = (int) leb(wasm, p);
            int end = p[0] + size;
            if (id == 10) {
                int count = (int) leb(wasm, p);
                List<byte[]> bodies = new ArrayList<>(count);
                for (int i = 0; i < count; i++) {
                    int len = (int) leb(wasm, p);
                    bodies.add(Arrays.copyOfRange(wasm, p[0], p[0] + len));
                    p[0] += len;
                }
                return bodies;
            }
            p[0] = end;
        }
        throw new AssertionError("no code section");
    }

    private static long leb(byte[] b, int[] p) {
        long r = 0;
        int shift = 0;
        int x;
        do {
            x = b[p[0]++] & 0xff;
            r |= (long) (x & 0x7f) << shift;
            shift += 7;
        } while ((x & 0x80) != 0);
        return r;
    }

    private static boolean memoryContains(Instance instance, String text) {
        byte[] needle = text.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        int size = instance.memory().pages() * 65536;
        byte[] all = instance.memory().readBytes(0, Math.min(size, 64 << 20));
        outer:
        for (int i = 0; i + needle.length <= all.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (all[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    /** HotSpot's HugeMethodLimit: larger methods stay in the JVM's bytecode interpreter by default. */
    private static final int JIT_METHOD_LIMIT = 8000;

    /**
     * The calls through the function table (every call_indirect) and by function index go through generated
     * dispatch methods; the build splits them so that the JIT compiles them. And the split of large wasm
     * functions leaves few methods over the JIT's limit (136 before it targeted that limit).
     */
    @Test
    void dispatchMethodsAreSmallEnoughForTheJit() throws Exception {
        List<String> dispatchTooLarge = new ArrayList<>();
        List<String> huge = new ArrayList<>();
        int dispatchMethods = 0;
        for (var c : machineMethodLengths().entrySet()) {
            String cls = c.getKey();
            boolean dispatch = cls.contains("Dispatch_") || cls.contains("Indirect_");
            for (var m : c.getValue().entrySet()) {
                if (dispatch) {
                    dispatchMethods++;
                }
                if (m.getValue() > JIT_METHOD_LIMIT) {
                    (dispatch ? dispatchTooLarge : huge).add(cls + "." + m.getKey() + " " + m.getValue());
                }
            }
        }
        LOG.info("{} dispatch methods; {} other methods over {} bytes: {}", dispatchMethods, huge.size(),
                JIT_METHOD_LIMIT, huge);
        assertThat(dispatchMethods).as("dispatch methods found").isGreaterThan(20);
        assertThat(dispatchTooLarge).as("dispatch methods over the JIT's limit").isEmpty();
        // 136 before the split aimed at the JIT's limit, 25 before switches were regrouped, none now
        assertThat(huge).as("methods over the JIT's limit").isEmpty();
    }

    /**
     * The functions on the path of every statement sent as text, each a switch of hundreds to thousands of cases
     * before the build regrouped them (the SQL parser, its scanner, and utility-statement processing and node
     * output, which also ran in the JVM's interpreter), are small enough for the JIT.
     */
    @Test
    void statementPathFunctionsAreSmallEnoughForTheJit() throws Exception {
        java.util.Map<String, Integer> lengths = new java.util.HashMap<>();
        for (var c : machineMethodLengths().entrySet()) {
            if (c.getKey().startsWith("PgliteMachineFuncGroup_")) {
                lengths.putAll(c.getValue()); // func_N names are unique across the groups
            }
        }
        WasmModule module = dist.pgliteModule();
        var exports = module.exportSection();
        for (String name : List.of("raw_parser", "core_yylex", "standard_ProcessUtility", "outNode")) {
            Integer function = null;
            for (int i = 0; i < exports.exportCount(); i++) {
                if (exports.getExport(i).name().equals(name)) {
                    function = (int) exports.getExport(i).index();
                }
            }
            assertThat(function).as("export %s", name).isNotNull();
            assertThat(lengths.get("func_" + function)).as("bytecode of %s (func_%d)", name, function)
                    .isNotNull().isLessThanOrEqualTo(JIT_METHOD_LIMIT);
        }
    }

    /**
     * The build points every wasm load, store, {@code global.get} and {@code global.set} of the compiled code at
     * {@code MachineAccess} (the paged memory's pages and its table of globals) instead of Chicory's helpers
     * (the {@code Memory} interface and {@code Instance.global}), and drops Chicory's interruption check before
     * every call.
     */
    @Test
    void compiledCodeReachesMemoryAndGlobalsThroughMachineAccess() throws Exception {
        Path classes = Path.of(PgliteMachine.class.getProtectionDomain().getCodeSource().getLocation().toURI())
                .resolve(PgliteMachine.class.getPackageName().replace('.', '/'));
        String shaded = PgliteMachine.class.getName().replace('.', '/') + "Shaded.";
        List<String> unbound = new ArrayList<>();
        int bound = 0;
        try (var files = Files.list(classes)) {
            for (Path file : files.filter(f -> f.getFileName().toString().matches("(Pglite|Initdb)Machine.*\\.class")
                    && !f.getFileName().toString().contains("Shaded")).toList()) {
                for (String ref : methodRefs(Files.readAllBytes(file))) {
                    if (ref.startsWith("io/pglite/wasm/MachineAccess.")) {
                        bound++;
                    } else if (ref.matches(".*MachineShaded\\.(memoryRead|memoryWrite|readGlobal|writeGlobal|checkInterruption).*")) {
                        unbound.add(file.getFileName() + ": " + ref);
                    }
                }
            }
        }
        assertThat(shaded).isNotEmpty();
        assertThat(unbound).as("accesses and interruption checks still through Chicory's helpers").isEmpty();
        assertThat(bound).as("distinct MachineAccess methods referenced, summed over the classes").isGreaterThan(20);
    }

    /** The methods a class file refers to, as "owner.name descriptor". */
    static Set<String> methodRefs(byte[] classFile) throws java.io.IOException {
        ConstantPool cp = ConstantPool.read(new java.io.DataInputStream(new java.io.ByteArrayInputStream(classFile)));
        Set<String> refs = new TreeSet<>();
        for (int i = 1; i < cp.tags().length; i++) {
            if (cp.tags()[i] == 10 || cp.tags()[i] == 11) { // Methodref, InterfaceMethodref
                int nameAndType = cp.second()[i];
                refs.add(cp.utf8()[cp.first()[cp.first()[i]]] + "." + cp.utf8()[cp.first()[nameAndType]] + " "
                        + cp.utf8()[cp.second()[nameAndType]]);
            }
        }
        return refs;
    }

    /** A class file's constant pool: UTF-8 strings, and the one or two indices of class and reference entries. */
    private record ConstantPool(int[] tags, String[] utf8, int[] first, int[] second) {
        /** Reads the pool from a stream at the start of a class file; leaves it right after the pool. */
        static ConstantPool read(java.io.DataInputStream in) throws java.io.IOException {
            in.skipBytes(8);
            int count = in.readUnsignedShort();
            ConstantPool cp = new ConstantPool(new int[count], new String[count], new int[count], new int[count]);
            for (int i = 1; i < count; i++) {
                int tag = in.readUnsignedByte();
                cp.tags[i] = tag;
                switch (tag) {
                    case 1 -> cp.utf8[i] = in.readUTF();
                    case 7 -> cp.first[i] = in.readUnsignedShort();
                    case 9, 10, 11, 12 -> {
                        cp.first[i] = in.readUnsignedShort();
                        cp.second[i] = in.readUnsignedShort();
                    }
                    case 3, 4, 17, 18 -> in.skipBytes(4);
                    case 5, 6 -> {
                        in.skipBytes(8);
                        i++;
                    }
                    case 8, 16, 19, 20 -> in.skipBytes(2);
                    case 15 -> in.skipBytes(3);
                    default -> throw new java.io.IOException("constant pool tag " + tag);
                }
            }
            return cp;
        }
    }

    /** Bytecode length of each method (by name) of each compiled pglite machine class (by simple name). */
    private static java.util.Map<String, java.util.Map<String, Integer>> machineMethodLengths() throws Exception {
        Path classes = Path.of(PgliteMachine.class.getProtectionDomain().getCodeSource().getLocation().toURI())
                .resolve(PgliteMachine.class.getPackageName().replace('.', '/'));
        var out = new java.util.TreeMap<String, java.util.Map<String, Integer>>();
        try (var files = Files.list(classes)) {
            for (Path file : files.filter(f -> f.getFileName().toString().startsWith("PgliteMachine")
                    && f.getFileName().toString().endsWith(".class")).toList()) {
                out.put(file.getFileName().toString().replace(".class", ""), codeLengths(Files.readAllBytes(file)));
            }
        }
        return out;
    }

    /** Bytecode length of each method of a class file, from its Code attributes. */
    static java.util.Map<String, Integer> codeLengths(byte[] classFile) throws java.io.IOException {
        var in = new java.io.DataInputStream(new java.io.ByteArrayInputStream(classFile));
        String[] utf8 = ConstantPool.read(in).utf8();
        in.skipBytes(6);
        in.skipBytes(2 * in.readUnsignedShort());
        var out = new java.util.TreeMap<String, Integer>();
        for (int pass = 0; pass < 2; pass++) { // fields, then methods
            int members = in.readUnsignedShort();
            for (int k = 0; k < members; k++) {
                in.skipBytes(2);
                String name = utf8[in.readUnsignedShort()];
                in.skipBytes(2);
                int attributes = in.readUnsignedShort();
                for (int a = 0; a < attributes; a++) {
                    String attribute = utf8[in.readUnsignedShort()];
                    int length = in.readInt();
                    if (pass == 1 && attribute.equals("Code")) {
                        in.skipBytes(4);
                        out.merge(name, in.readInt(), Math::max);
                        in.skipBytes(length - 8);
                    } else {
                        in.skipBytes(length);
                    }
                }
            }
        }
        return out;
    }
}
