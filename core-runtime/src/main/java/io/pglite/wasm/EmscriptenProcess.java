package io.pglite.wasm;

import com.dylibso.chicory.runtime.ExportFunction;
import com.dylibso.chicory.runtime.GlobalInstance;
import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.ImportGlobal;
import com.dylibso.chicory.runtime.ImportMemory;
import com.dylibso.chicory.runtime.ImportTable;
import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Machine;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.runtime.TableInstance;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.ExternalType;
import com.dylibso.chicory.wasm.types.FunctionImport;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.GlobalImport;
import com.dylibso.chicory.wasm.types.Import;
import com.dylibso.chicory.wasm.types.MemoryImport;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import com.dylibso.chicory.wasm.types.MutabilityType;
import com.dylibso.chicory.wasm.types.Table;
import com.dylibso.chicory.wasm.types.TableImport;
import com.dylibso.chicory.wasm.types.TableLimits;
import com.dylibso.chicory.wasm.types.ValType;
import com.dylibso.chicory.wasm.types.Value;
import io.pglite.fs.VirtualFileSystem;
import io.pglite.wasm.dylink.PrivateTableFactory;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.function.Function;

/**
 * One running instance of an Emscripten-built program (PostgreSQL's {@code pglite.wasm} or {@code initdb.wasm})
 * with the Java host the Emscripten JavaScript glue would otherwise provide.
 *
 * <p>The process owns the Chicory {@link Instance}, its linear memory, its environment and its view of the
 * virtual filesystem (file descriptor table and working directory). It offers what the glue offers its
 * callers: {@code callMain}, stack save/restore, strings on the wasm stack, and calls through the function
 * table.
 *
 * <p>Not thread-safe: a wasm instance runs on one thread at a time, and callers serialise access.
 */
public final class EmscriptenProcess {

    private static final int PAGE = 65536;

    private final String programPath;
    private final Instance instance;
    private final Memory memory;
    private final VirtualFileSystem files;
    private final EnvImports env;
    private final ExportFunction stackAlloc;
    private final ExportFunction stackRestore;
    private final ExportFunction stackGetCurrent;
    private final ExportFunction setThrew;
    private final ExportFunction mainArgcArgv;
    private final ExportFunction malloc;
    private final ExportFunction free;
    private final TableInstance table;
    /** Added to exported data addresses: the module's {@code __memory_base} (0 unless it is relocatable). */
    private final int memoryBase;
    private final GlobalInstance stackPointer;
    private final Map<String, HostFunction> hostFunctions = new HashMap<>();
    private final Map<String, Integer> persistentStrings = new HashMap<>();
    private final Signals signals = new Signals(this);

    private EmscriptenProcess(Builder b) {
        this.programPath = b.programPath;
        this.files = b.files;
        this.env = new EnvImports(this, b.environment, b.memoryLimitBytes, b.dynamicLinking);
        WasiImports wasi = new WasiImports(this, env);

        Map<String, HostFunction> provided = hostFunctions;
        for (HostFunction f : EnvImports_ModuleFactory.toHostFunctions(env, "env")) {
            provided.put("env." + f.name(), f);
        }
        for (HostFunction f : WasiImports_ModuleFactory.toHostFunctions(wasi, "wasi_snapshot_preview1")) {
            provided.put("wasi_snapshot_preview1." + f.name(), f);
        }

        WasmModule module = b.module;
        FunctionType[] types = module.typeSection().types();
        List<HostFunction> functions = new ArrayList<>();
        ImportValues.Builder imports = ImportValues.builder();
        Memory importedMemory = null;
        TableInstance importedTable = null;
        Map<String, GlobalInstance> importedGlobals = new HashMap<>();
        for (int i = 0; i < module.importSection().importCount(); i++) {
            Import imp = module.importSection().getImport(i);
            if (imp.importType() == ExternalType.GLOBAL) {
                GlobalInstance g = layoutGlobal(b, (GlobalImport) imp);
                importedGlobals.put(imp.module() + "." + imp.name(), g);
                imports.addGlobal(new ImportGlobal(imp.module(), imp.name(), g));
                continue;
            }
            if (imp.importType() == ExternalType.TABLE) {
                importedTable = layoutTable(b, (TableImport) imp);
                imports.addTable(new ImportTable(imp.module(), imp.name(), importedTable));
                continue;
            }
            if (imp.importType() == ExternalType.MEMORY) {
                MemoryLimits declared = ((MemoryImport) imp).limits();
                importedMemory = b.image == null
                        ? WasmMemories.create(declared, b.memoryLimitBytes)
                        : PagedMemory.restored(WasmMemories.limits(declared, b.memoryLimitBytes), b.image.memory());
                imports.addMemory(new ImportMemory(imp.module(), imp.name(), importedMemory));
                continue;
            }
            if (imp.importType() != ExternalType.FUNCTION) {
                throw new IllegalStateException("unsupported import kind " + imp.importType() + " for "
                        + imp.module() + "." + imp.name() + " in " + programPath);
            }
            FunctionType type = types[((FunctionImport) imp).typeIndex()];
            String key = imp.module() + "." + imp.name();
            HostFunction f;
            if (imp.name().startsWith("invoke_")) {
                f = InvokeTrampoline.create(this, imp.module(), imp.name(), type);
            } else if (provided.containsKey(key)) {
                f = provided.get(key);
                if (!f.functionType().equals(type) && type.returns().isEmpty()
                        && f.functionType().params().equals(type.params())) {
                    // Same call, result unused: Emscripten 3.x declares _localtime_js/_gmtime_js void, later
                    // versions return a status (PGlite 0.4.x vs 0.5.x).
                    f = dropResult(f, type);
                }
                if (!f.functionType().equals(type)) {
                    throw new IllegalStateException("host function " + key + " has type " + f.functionType()
                            + " but " + programPath + " imports it as " + type);
                }
            } else {
                f = missingImport(imp.module(), imp.name(), type);
            }
            functions.add(f);
        }
        imports.withFunctions(new ArrayList<>(functions));

        // Each instance gets its own table: Chicory 1.7.5 would otherwise carry one instance's table growth
        // (host callbacks, side modules) over into the next instance of the same module.
        long limit = b.memoryLimitBytes;
        PrivateTableFactory.rememberDeclaredLimits(module);
        Instance.Builder ib = Instance.builder(module)
                .withImportValues(imports.build())
                .withTableFactory(PrivateTableFactory.INSTANCE)
                // Modules that define their memory (initdb.wasm) get the same implementation, which keeps the
                // memory call sites of compiled code monomorphic.
                .withMemoryFactory(limits -> WasmMemories.create(limits, limit));
        if (b.machineFactory != null) {
            ib.withMachineFactory(b.machineFactory);
        }
        this.instance = ib.build();
        this.memory = importedMemory != null ? importedMemory : instance.memory();

        Instance.Exports ex = instance.exports();
        this.stackAlloc = ex.function("_emscripten_stack_alloc");
        this.stackRestore = ex.function("_emscripten_stack_restore");
        this.stackGetCurrent = ex.function("emscripten_stack_get_current");
        this.setThrew = ex.function("setThrew");
        this.mainArgcArgv = ex.function("__main_argc_argv");
        this.malloc = optionalExport(instance, "malloc");
        this.free = optionalExport(instance, "free");
        this.table = importedTable != null ? importedTable : ex.table("__indirect_function_table");
        GlobalInstance importedBase = importedGlobals.get("env.__memory_base");
        this.memoryBase = importedBase == null ? 0 : (int) importedBase.getValue();
        GlobalInstance importedSp = importedGlobals.get("env.__stack_pointer");
        this.stackPointer = importedSp != null ? importedSp : ex.global("__stack_pointer");
        if (b.image == null) {
            // The glue runs the static constructors before anything else (initRuntime), and a relocatable
            // module's data relocations before those (its __RELOC_FUNCS__): pointers in the data segments
            // are relative to __memory_base until then.
            ExportFunction relocs = optionalExport(instance, "__wasm_apply_data_relocs");
            if (relocs != null) {
                relocs.apply();
            }
            ex.function("__wasm_call_ctors").apply();
        } else {
            restore(b.image);
        }
    }

    /**
     * Continues from an image instead of starting fresh: the instantiation above ran the module's start
     * function (it zeroes the bss) on the image's pages, so the memory is reset to the image; then the
     * globals and the host's own state are put back. The constructors are not run: the image's memory
     * already holds their results.
     */
    private void restore(ProcessImage image) {
        ((PagedMemory) memory).resetTo(image.memory());
        long[] low = image.globalsLow();
        long[] high = image.globalsHigh();
        if (low.length != instance.globalCount()) {
            throw new IllegalStateException("the image has " + low.length + " globals, the instance "
                    + instance.globalCount());
        }
        for (int i = 0; i < low.length; i++) {
            GlobalInstance g = instance.global(i);
            if (g.getMutabilityType() == MutabilityType.Var) {
                g.setValueLow(low[i]);
                g.setValueHigh(high[i]);
            } else if (g.getValueLow() != low[i] || g.getValueHigh() != high[i]) {
                throw new IllegalStateException("immutable global " + i + " differs from the image's");
            }
        }
        env.resumeMonotonicClock(image.monotonicNanos());
        env.restoreUmask(image.umask());
        persistentStrings.putAll(image.persistentStrings());
    }

    /**
     * Captures the process's wasm-level state so that new processes can continue from it (see
     * {@link ProcessImage}). The process stays usable; its memory copies a page before its next write to it.
     * Call it between calls into the program, on the process's thread.
     *
     * @return the image
     * @throws IllegalStateException if the memory cannot be imaged (not a {@link PagedMemory})
     */
    public ProcessImage image() {
        if (!(memory instanceof PagedMemory)) {
            throw new IllegalStateException("only a paged memory can be imaged");
        }
        if (env.loadedLibraries() > 0) {
            throw new IllegalStateException("the process has loaded " + env.loadedLibraries() + " side module(s)"
                    + "; their state is not part of an image");
        }
        int n = instance.globalCount();
        long[] low = new long[n];
        long[] high = new long[n];
        for (int i = 0; i < n; i++) {
            GlobalInstance g = instance.global(i);
            low[i] = g.getValueLow();
            high[i] = g.getValueHigh();
        }
        return new ProcessImage(((PagedMemory) memory).image(), low, high, table.size(), env.monotonicNanos(),
                env.umask(), persistentStrings);
    }

    /**
     * Returns a host function this process provides to wasm code, for side modules that import it: an
     * {@code invoke_*} trampoline for any signature, {@code getTempRet0}/{@code setTempRet0}, or one of the
     * {@code env}/WASI imports.
     *
     * @param name the import's name
     * @param type the signature the importer expects
     * @return the function, or {@code null} when the host has none with that name and type
     */
    public HostFunction hostFunction(String name, FunctionType type) {
        if (name.startsWith("invoke_")) {
            return InvokeTrampoline.create(this, "env", name, type);
        }
        if (name.equals("getTempRet0")) {
            return new HostFunction("env", name, type, (inst, a) -> call("_emscripten_tempret_get"));
        }
        if (name.equals("setTempRet0")) {
            return new HostFunction("env", name, type, (inst, a) -> {
                call("_emscripten_tempret_set", a[0]);
                return null;
            });
        }
        HostFunction f = hostFunctions.get("env." + name);
        if (f == null) {
            f = hostFunctions.get("wasi_snapshot_preview1." + name);
        }
        return f != null && f.functionType().equals(type) ? f : null;
    }

    /**
     * Tells whether a throwable is part of the program's control flow ({@code exit} or {@code longjmp}
     * unwinding) and must pass through host code untouched.
     *
     * @param t the throwable
     * @return true for exit and longjmp unwinding
     */
    public static boolean isControlFlow(Throwable t) {
        return t instanceof ProcessExitException || t instanceof LongjmpException;
    }

    private static ExportFunction optionalExport(Instance instance, String name) {
        var exports = instance.module().exportSection();
        for (int i = 0; i < exports.exportCount(); i++) {
            if (exports.getExport(i).name().equals(name)) {
                return instance.exports().function(name);
            }
        }
        return null;
    }

    private static HostFunction dropResult(HostFunction f, FunctionType type) {
        return new HostFunction(f.module(), f.name(), type, (inst, args) -> {
            f.handle().apply(inst, args);
            return null;
        });
    }

    /** An imported global of a relocatable module, with the value the loader gives it. */
    private GlobalInstance layoutGlobal(Builder b, GlobalImport imp) {
        String key = imp.module() + "." + imp.name();
        RelocatableLayout layout = b.layout;
        if (layout == null) {
            throw new IllegalStateException(programPath + " imports the global " + key
                    + " (a relocatable main module) but the process was built without a RelocatableLayout");
        }
        int value;
        switch (key) {
            case "env.__memory_base" -> value = layout.memoryBase();
            case "env.__table_base" -> value = layout.tableBase();
            case "env.__stack_pointer" -> value = layout.stackPointer();
            case "GOT.mem.__heap_base" -> value = layout.heapBase();
            default -> throw new IllegalStateException("unsupported global import " + key + " in " + programPath);
        }
        if (!imp.type().equals(ValType.I32)) {
            throw new IllegalStateException(programPath + " imports " + key + " as " + imp.type() + ", not i32");
        }
        return new GlobalInstance(Value.i32(value), imp.mutabilityType());
    }

    /** The function table a relocatable module imports: as large as the loader makes it, or as declared. */
    private TableInstance layoutTable(Builder b, TableImport imp) {
        if (b.layout == null) {
            throw new IllegalStateException(programPath + " imports the table " + imp.module() + "." + imp.name()
                    + " but the process was built without a RelocatableLayout");
        }
        TableLimits declared = imp.limits();
        long min = Math.max(declared.min(), b.layout.tableSize());
        return new TableInstance(new Table(imp.entryType(), new TableLimits(min, declared.max())), Value.REF_NULL_VALUE);
    }

    private static HostFunction missingImport(String module, String name, FunctionType type) {
        return new HostFunction(module, name, type, (inst, args) -> {
            throw new WasmAbortException("the host does not implement " + module + "." + name
                    + "; the program called it with " + args.length + " arguments");
        });
    }

    /**
     * Starts building a process for a module.
     *
     * @param module the parsed wasm module
     * @return a builder
     */
    public static Builder builder(WasmModule module) {
        return new Builder(module);
    }

    /** The Chicory instance. */
    public Instance instance() {
        return instance;
    }

    /** The process's linear memory. */
    public Memory memory() {
        return memory;
    }

    /** The process's view of the virtual filesystem. */
    public VirtualFileSystem files() {
        return files;
    }

    /** The path the program was started as ({@code argv[0]}). */
    public String programPath() {
        return programPath;
    }

    /** The wasm function table ({@code __indirect_function_table}). */
    public TableInstance table() {
        return table;
    }

    EnvImports env() {
        return env;
    }

    /** The process's asynchronous signals: interval timers ({@code SIGALRM}) and signals from other threads. */
    public Signals signals() {
        return signals;
    }

    /**
     * Runs the program's {@code main} with the given arguments ({@code argv[0]} is added), as Emscripten's
     * {@code callMain} does. An {@code exit(status)} inside {@code main} ends the call with that status and
     * leaves the stack pointer where {@code exit} left it, like the glue: PostgreSQL keeps pointers to
     * {@code main}'s stack frames (its top-level {@code sigjmp_buf}) after it "exits" alive.
     *
     * @param args the arguments after {@code argv[0]}
     * @return main's return value or the status passed to {@code exit}
     */
    public int callMain(List<String> args) {
        List<String> argv = new ArrayList<>(args.size() + 1);
        argv.add(programPath);
        argv.addAll(args);
        int argvPtr = stackAlloc((argv.size() + 1) * 4);
        for (int i = 0; i < argv.size(); i++) {
            memory.writeI32(argvPtr + 4 * i, stringOnStack(argv.get(i)));
        }
        memory.writeI32(argvPtr + 4 * argv.size(), 0);
        try {
            return (int) mainArgcArgv.apply(argv.size(), argvPtr)[0];
        } catch (ProcessExitException e) {
            return e.status();
        }
    }

    /**
     * Calls an exported function.
     *
     * @param name the export's name
     * @param args its arguments
     * @return the results (empty for void functions)
     */
    public long[] call(String name, long... args) {
        long[] r = instance.exports().function(name).apply(args);
        return r == null ? new long[0] : r;
    }

    /**
     * Calls an exported function returning an i32 (or nothing, then 0).
     *
     * @param name the export's name
     * @param args its arguments
     * @return the i32 result
     */
    public int callInt(String name, long... args) {
        long[] r = call(name, args);
        return r.length == 0 ? 0 : (int) r[0];
    }

    /** Returns the current wasm stack pointer. */
    public int stackSave() {
        return (int) stackGetCurrent.apply()[0];
    }

    /**
     * Resets the wasm stack pointer.
     *
     * @param sp a value from {@link #stackSave()}
     */
    public void stackRestore(int sp) {
        stackRestore.apply(sp);
    }

    /**
     * Reserves bytes on the wasm stack (released by {@link #stackRestore(int)}).
     *
     * @param size the number of bytes
     * @return the address
     */
    public int stackAlloc(int size) {
        return (int) stackAlloc.apply(size)[0];
    }

    /**
     * Copies a string to the wasm stack as NUL-terminated UTF-8.
     *
     * @param s the string
     * @return its address
     */
    public int stringOnStack(String s) {
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        int ptr = stackAlloc(bytes.length + 1);
        memory.write(ptr, bytes);
        memory.writeByte(ptr + bytes.length, (byte) 0);
        return ptr;
    }

    /**
     * Returns the address of a NUL-terminated copy of {@code s} that lives as long as the process (allocated
     * once with {@code malloc}); for strings the program keeps pointers to, such as error file names.
     *
     * @param s the string
     * @return its address
     */
    public int persistentString(String s) {
        Integer ptr = persistentStrings.get(s);
        if (ptr == null) {
            byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
            ptr = malloc(bytes.length + 1);
            memory.write(ptr, bytes);
            memory.writeByte(ptr + bytes.length, (byte) 0);
            persistentStrings.put(s, ptr);
        }
        return ptr;
    }

    /**
     * Allocates with the program's {@code malloc}.
     *
     * @param size the number of bytes
     * @return the address, 0 when the program is out of memory
     */
    public int malloc(int size) {
        if (malloc == null) {
            throw new WasmAbortException(programPath + " does not export malloc");
        }
        return (int) malloc.apply(size)[0];
    }

    /**
     * Frees with the program's {@code free}.
     *
     * @param ptr an address from {@link #malloc(int)}
     */
    public void free(int ptr) {
        if (free == null) {
            throw new WasmAbortException(programPath + " does not export free");
        }
        free.apply(ptr);
    }

    /**
     * Reads a NUL-terminated UTF-8 string from memory.
     *
     * @param ptr the address
     * @return the string, or {@code null} for a null pointer
     */
    public String readCString(int ptr) {
        if (ptr == 0) {
            return null;
        }
        int end = ptr;
        while (memory.read(end) != 0) {
            end++;
        }
        return new String(memory.readBytes(ptr, end - ptr), StandardCharsets.UTF_8);
    }

    /**
     * Calls the function at a table index with the stack discipline of Emscripten's {@code invoke_*}: a
     * {@code longjmp} or an exit unwinding out of it restores the stack pointer.
     *
     * @param tableIndex the function's index in {@code __indirect_function_table}
     * @param args its arguments
     * @return its results
     */
    public long[] callTable(int tableIndex, long... args) {
        int funcId = table.requiredRef(tableIndex);
        Instance owner = table.instance(tableIndex);
        Machine machine = (owner == null ? instance : owner).getMachine();
        long[] r = machine.call(funcId, args);
        return r == null ? new long[0] : r;
    }

    /** Records a caught longjmp the way the glue's invoke_* does: {@code setThrew(1, 0)}. */
    void setThrew() {
        setThrew.apply(1, 0);
    }

    /**
     * Captures the linear memory (used to re-run {@code main} from a pristine state, as initdb does). With a
     * {@link PagedMemory} nothing is copied: pages are shared until written.
     *
     * @return an opaque handle for {@link #restoreMemory(Object)}
     */
    public Object snapshotMemory() {
        if (memory instanceof PagedMemory) {
            return ((PagedMemory) memory).image();
        }
        return memory.readBytes(0, memory.pages() * PAGE);
    }

    /**
     * Restores memory captured by {@link #snapshotMemory()}; memory grown since is zeroed (a paged memory
     * shrinks back to the captured size).
     *
     * @param snapshot a value returned by {@link #snapshotMemory()} of this process
     */
    public void restoreMemory(Object snapshot) {
        if (snapshot instanceof MemoryImage) {
            ((PagedMemory) memory).resetTo((MemoryImage) snapshot);
            return;
        }
        byte[] bytes = (byte[]) snapshot;
        memory.write(0, bytes);
        int size = memory.pages() * PAGE;
        if (size > bytes.length) {
            memory.fill((byte) 0, bytes.length, size);
        }
    }

    /**
     * The address of an exported data symbol (a main module exports each as an immutable i32 global).
     *
     * @param symbol the symbol's name
     * @return its address, or empty if the module does not export it as a global
     */
    public OptionalInt exportedAddress(String symbol) {
        var exports = instance.module().exportSection();
        for (int i = 0; i < exports.exportCount(); i++) {
            var e = exports.getExport(i);
            if (e.name().equals(symbol) && e.exportType() == ExternalType.GLOBAL) {
                // A relocatable module's exports are relative to __memory_base (the glue's relocateExports).
                return OptionalInt.of((int) instance.global(e.index()).getValue() + memoryBase);
            }
        }
        return OptionalInt.empty();
    }

    /** The {@code __stack_pointer} global: exported by the module, or imported (relocatable modules). */
    public GlobalInstance stackPointerGlobal() {
        return stackPointer;
    }

    /** Builds an {@link EmscriptenProcess}. */
    public static final class Builder {
        private final WasmModule module;
        private Function<Instance, Machine> machineFactory;
        private VirtualFileSystem files;
        private String programPath = "/pglite/bin/postgres";
        private final Map<String, String> environment = new LinkedHashMap<>();
        private long memoryLimitBytes = 1L << 30;
        private DynamicLinking dynamicLinking;
        private ProcessImage image;
        private RelocatableLayout layout;

        private Builder(WasmModule module) {
            this.module = Objects.requireNonNull(module, "module");
        }

        /** Uses build-time compiled code instead of Chicory's interpreter. */
        public Builder withMachineFactory(Function<Instance, Machine> factory) {
            this.machineFactory = factory;
            return this;
        }

        /** The filesystem view (fd table, cwd) of this process. */
        public Builder withFiles(VirtualFileSystem files) {
            this.files = files;
            return this;
        }

        /** The program's path, passed as {@code argv[0]}. */
        public Builder withProgramPath(String path) {
            this.programPath = path;
            return this;
        }

        /** Sets environment variables seen by the program. */
        public Builder withEnvironment(Map<String, String> vars) {
            this.environment.putAll(vars);
            return this;
        }

        /** The most linear memory the process may use; allocation beyond it fails inside the program. */
        public Builder withMemoryLimit(long bytes) {
            this.memoryLimitBytes = bytes;
            return this;
        }

        /** Supplies {@code dlopen}/{@code dlsym} for programs that load side modules. */
        public Builder withDynamicLinking(DynamicLinking linking) {
            this.dynamicLinking = linking;
            return this;
        }

        /**
         * Continues from a captured state instead of starting the program: the memory starts as the image's
         * (copy-on-write), globals and host state are restored, and the static constructors do not run. The
         * filesystem view and host callbacks in the table are the caller's to restore.
         *
         * @param image state captured by {@link EmscriptenProcess#image()} from a process of the same module
         * @return this builder
         */
        public Builder withImage(ProcessImage image) {
            this.image = image;
            return this;
        }

        /**
         * Gives a relocatable main module (one that imports {@code __memory_base}, {@code __stack_pointer},
         * {@code __table_base}, {@code GOT.mem.__heap_base} and its function table) the values its loader would.
         * Not needed, and ignored, for modules that import none of them.
         *
         * @param layout the loader's values, or {@code null}
         * @return this builder
         */
        public Builder withLayout(RelocatableLayout layout) {
            this.layout = layout;
            return this;
        }

        /** Instantiates the module and runs its static constructors (or restores its image). */
        public EmscriptenProcess build() {
            Objects.requireNonNull(files, "files");
            return new EmscriptenProcess(this);
        }
    }
}
