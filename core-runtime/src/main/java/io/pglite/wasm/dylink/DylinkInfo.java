package io.pglite.wasm.dylink;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Contents of an Emscripten side module's {@code dylink.0} custom section: how much linear memory
 * and how many table slots the module needs, which libraries it needs first, and which of its
 * imports are weak.
 *
 * <p>Like Emscripten's loader, the section must be the first section of the module.
 */
public final class DylinkInfo {
    private static final int MEM_INFO = 1;
    private static final int NEEDED = 2;
    private static final int EXPORT_INFO = 3;
    private static final int IMPORT_INFO = 4;
    private static final int RUNTIME_PATH = 5;
    private static final int ARCH = 6;
    private static final int SYMBOL_BINDING_MASK = 0x3;
    private static final int SYMBOL_BINDING_WEAK = 0x1;
    private static final int SYMBOL_TLS = 0x100;

    private final int memorySize;
    private final int memoryAlign;
    private final int tableSize;
    private final int tableAlign;
    private final List<String> neededLibraries;
    private final List<String> runtimePaths;
    private final Set<String> weakImports;
    private final Set<String> tlsExports;
    private final Map<String, Integer> exportFlags;

    private DylinkInfo(
            int memorySize,
            int memoryAlign,
            int tableSize,
            int tableAlign,
            List<String> neededLibraries,
            List<String> runtimePaths,
            Set<String> weakImports,
            Set<String> tlsExports,
            Map<String, Integer> exportFlags) {
        this.memorySize = memorySize;
        this.memoryAlign = memoryAlign;
        this.tableSize = tableSize;
        this.tableAlign = tableAlign;
        this.neededLibraries = Collections.unmodifiableList(neededLibraries);
        this.runtimePaths = Collections.unmodifiableList(runtimePaths);
        this.weakImports = Collections.unmodifiableSet(weakImports);
        this.tlsExports = Collections.unmodifiableSet(tlsExports);
        this.exportFlags = Collections.unmodifiableMap(exportFlags);
    }

    /**
     * Parses the {@code dylink.0} section at the start of a side module.
     *
     * @param wasm the module binary
     * @return the parsed metadata
     * @throws MalformedModuleException if the binary is not a wasm module or has no leading
     *     {@code dylink.0} section
     */
    public static DylinkInfo parse(byte[] wasm) {
        ByteReader r = new ByteReader(wasm);
        if (wasm.length < 8
                || r.u8() != 0x00
                || r.u8() != 0x61
                || r.u8() != 0x73
                || r.u8() != 0x6D) {
            throw new MalformedModuleException("not a wasm module (bad magic)");
        }
        r.skip(4);
        if (!r.hasMore() || r.u8() != 0) {
            throw new MalformedModuleException(
                    "not an Emscripten side module: the first section must be the dylink.0 custom"
                            + " section");
        }
        int size = r.index();
        int end = r.pos() + size;
        ByteReader s = new ByteReader(wasm, r.pos(), Math.min(end, wasm.length));
        if (end > wasm.length) {
            throw new MalformedModuleException("dylink.0 section runs past the end of the module");
        }
        String name = s.name();
        if (!"dylink.0".equals(name)) {
            throw new MalformedModuleException(
                    "not an Emscripten side module: first custom section is '" + name + "'");
        }
        int memorySize = 0;
        int memoryAlign = 0;
        int tableSize = 0;
        int tableAlign = 0;
        List<String> needed = new ArrayList<>();
        List<String> rpaths = new ArrayList<>();
        Set<String> weak = new HashSet<>();
        Set<String> tls = new HashSet<>();
        Map<String, Integer> exportFlags = new HashMap<>();
        while (s.hasMore()) {
            int type = s.u8();
            int len = s.index();
            int subEnd = s.pos() + len;
            if (subEnd > s.end()) {
                throw new MalformedModuleException("dylink.0 subsection " + type + " is truncated");
            }
            ByteReader sub = new ByteReader(wasm, s.pos(), subEnd);
            switch (type) {
                case MEM_INFO:
                    memorySize = sub.index();
                    memoryAlign = sub.index();
                    tableSize = sub.index();
                    tableAlign = sub.index();
                    break;
                case NEEDED:
                    needed.addAll(names(sub));
                    break;
                case EXPORT_INFO:
                    {
                        int n = sub.index();
                        for (int i = 0; i < n; i++) {
                            String sym = sub.name();
                            int flags = sub.index();
                            exportFlags.put(sym, flags);
                            if ((flags & SYMBOL_TLS) != 0) {
                                tls.add(sym);
                            }
                        }
                        break;
                    }
                case IMPORT_INFO:
                    {
                        int n = sub.index();
                        for (int i = 0; i < n; i++) {
                            sub.name(); // module
                            String field = sub.name();
                            int flags = sub.index();
                            if ((flags & SYMBOL_BINDING_MASK) == SYMBOL_BINDING_WEAK) {
                                weak.add(field);
                            }
                        }
                        break;
                    }
                case RUNTIME_PATH:
                    rpaths.addAll(names(sub));
                    break;
                case ARCH:
                    {
                        String arch = sub.name();
                        if (!"wasm32".equals(arch)) {
                            throw new MalformedModuleException(
                                    "incorrect architecture (" + arch + " vs wasm32)");
                        }
                        break;
                    }
                default:
                    break; // unknown subsections are skipped, as Emscripten does
            }
            s.skip(len);
        }
        if (memoryAlign > 30 || tableAlign > 30) {
            throw new MalformedModuleException(
                    "implausible alignment in dylink.0: memory 2^" + memoryAlign + ", table 2^" + tableAlign);
        }
        return new DylinkInfo(
                memorySize, memoryAlign, tableSize, tableAlign, needed, rpaths, weak, tls, exportFlags);
    }

    private static List<String> names(ByteReader r) {
        int n = r.index();
        List<String> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(r.name());
        }
        return out;
    }

    /** @return bytes of linear memory (data + bss) the module needs at {@code __memory_base} */
    public int memorySize() {
        return memorySize;
    }

    /** @return log2 of the required alignment of {@code __memory_base} */
    public int memoryAlign() {
        return memoryAlign;
    }

    /** @return table slots the module needs at {@code __table_base} */
    public int tableSize() {
        return tableSize;
    }

    /** @return log2 of the table alignment (Emscripten ignores it; so does this linker) */
    public int tableAlign() {
        return tableAlign;
    }

    /** @return libraries that must be loaded before this one (DT_NEEDED) */
    public List<String> neededLibraries() {
        return neededLibraries;
    }

    /** @return runtime search paths (DT_RUNPATH) */
    public List<String> runtimePaths() {
        return runtimePaths;
    }

    /** @return names of imports declared weak (undefined weak symbols resolve to 0) */
    public Set<String> weakImports() {
        return weakImports;
    }

    /** @return names of thread-local exports (not supported by this linker) */
    public Set<String> tlsExports() {
        return tlsExports;
    }

    /** @return symbol flags of exports listed in the export-info subsection */
    public Map<String, Integer> exportFlags() {
        return exportFlags;
    }

    @Override
    public String toString() {
        return "DylinkInfo[mem="
                + memorySize
                + "/2^"
                + memoryAlign
                + ", table="
                + tableSize
                + ", needed="
                + neededLibraries
                + ", weak="
                + weakImports.size()
                + "]";
    }
}
