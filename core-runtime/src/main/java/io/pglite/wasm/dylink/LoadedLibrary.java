package io.pglite.wasm.dylink;

import com.dylibso.chicory.runtime.ExportFunction;
import com.dylibso.chicory.runtime.Instance;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;

/**
 * A side module linked into a main instance by {@link DynamicLinker}: where its data and table
 * slots live, its Chicory instance, and its relocated exports.
 */
public final class LoadedLibrary {
    private final DynamicLinker linker;
    private final String path;
    private final DylinkInfo dylinkInfo;
    private final int memoryBase;
    private final int tableBase;
    private volatile boolean global;
    private Instance instance;
    /** Export name -> function index in {@link #instance()}, in export-section order. */
    private final Map<String, Integer> functionExports = new LinkedHashMap<>();
    /** Export name -> absolute address (immutable i32 global export + memoryBase). */
    private final Map<String, Integer> dataExports = new LinkedHashMap<>();
    /** Export name -> position in the export section (what {@code _dlsym_js} reports). */
    private final Map<String, Integer> exportPosition = new LinkedHashMap<>();
    private long loadNanos;

    LoadedLibrary(
            DynamicLinker linker,
            String path,
            DylinkInfo dylinkInfo,
            int memoryBase,
            int tableBase,
            boolean global) {
        this.linker = linker;
        this.path = path;
        this.dylinkInfo = dylinkInfo;
        this.memoryBase = memoryBase;
        this.tableBase = tableBase;
        this.global = global;
    }

    void attach(Instance instance) {
        this.instance = instance;
    }

    void addFunctionExport(String name, int funcIdx, int position) {
        functionExports.put(name, funcIdx);
        exportPosition.put(name, position);
    }

    void addDataExport(String name, int address, int position) {
        dataExports.put(name, address);
        exportPosition.put(name, position);
    }

    void markGlobal() {
        global = true;
    }

    void loadNanos(long nanos) {
        this.loadNanos = nanos;
    }

    /** @return normalised path the library was loaded under (the cache key) */
    public String path() {
        return path;
    }

    /** @return the parsed {@code dylink.0} metadata */
    public DylinkInfo dylinkInfo() {
        return dylinkInfo;
    }

    /** @return address of the library's data in main memory ({@code __memory_base}) */
    public int memoryBase() {
        return memoryBase;
    }

    /** @return bytes reserved at {@link #memoryBase()} */
    public int memorySize() {
        return dylinkInfo.memorySize();
    }

    /** @return first table slot of the library's element segment ({@code __table_base}) */
    public int tableBase() {
        return tableBase;
    }

    /** @return table slots reserved at {@link #tableBase()} */
    public int tableSize() {
        return dylinkInfo.tableSize();
    }

    /** @return whether the library's symbols take part in global symbol resolution */
    public boolean isGlobal() {
        return global;
    }

    /** @return the side module's Chicory instance */
    public Instance instance() {
        return instance;
    }

    /** @return time spent loading (rewrite, parse, instantiate, relocate, constructors) */
    public long loadNanos() {
        return loadNanos;
    }

    /** @return names of exported functions and data symbols */
    public Set<String> exportNames() {
        return Collections.unmodifiableSet(exportPosition.keySet());
    }

    /**
     * @param name export name
     * @return the function's index inside {@link #instance()}, if it is an exported function
     */
    public OptionalInt functionIndex(String name) {
        Integer idx = functionExports.get(name);
        return idx == null ? OptionalInt.empty() : OptionalInt.of(idx);
    }

    /**
     * @param name export name
     * @return the absolute address of an exported data symbol
     */
    public OptionalInt dataAddress(String name) {
        Integer a = dataExports.get(name);
        return a == null ? OptionalInt.empty() : OptionalInt.of(a);
    }

    /**
     * What {@code dlsym} would return: the table index of an exported function (adding a table slot
     * if needed) or the address of an exported data symbol.
     *
     * @param name export name
     * @return table index or address, or empty when the library does not export {@code name}
     */
    public OptionalInt symbol(String name) {
        return linker.symbolOf(this, name);
    }

    /**
     * @param name exported function name
     * @return a Java handle calling it directly
     */
    public ExportFunction function(String name) {
        return instance.export(name);
    }

    Map<String, Integer> functionExports() {
        return functionExports;
    }

    Map<String, Integer> dataExports() {
        return dataExports;
    }

    int exportPosition(String name) {
        Integer p = exportPosition.get(name);
        return p == null ? -1 : p;
    }

    @Override
    public String toString() {
        return "LoadedLibrary["
                + path
                + ", memoryBase="
                + memoryBase
                + ", tableBase="
                + tableBase
                + ", "
                + dylinkInfo
                + "]";
    }
}
