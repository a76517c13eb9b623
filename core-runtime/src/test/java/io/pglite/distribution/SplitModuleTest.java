package io.pglite.distribution;

import static org.assertj.core.api.Assertions.assertThat;

import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.ActiveDataSegment;
import com.dylibso.chicory.wasm.types.ActiveElement;
import com.dylibso.chicory.wasm.types.DataSegment;
import com.dylibso.chicory.wasm.types.Element;
import com.dylibso.chicory.wasm.types.ExternalType;
import com.dylibso.chicory.wasm.types.FunctionImport;
import com.dylibso.chicory.wasm.types.Global;
import com.dylibso.chicory.wasm.types.Import;
import com.dylibso.chicory.wasm.types.Instruction;
import com.dylibso.chicory.wasm.types.SectionId;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The build splits the functions of {@code pglite.wasm} that are too large for a JVM method
 * ({@code src/build/pglite-split.mjs}). Side modules and C function pointers depend on the module's
 * interface and index spaces, so the split module must keep all of it: same imports, exports, table,
 * element segments (function pointers are table slots), memory, data, existing globals and the
 * signature of every existing function; new functions and globals only come after the existing ones.
 */
class SplitModuleTest {

    private static final int[] SECTIONS = {SectionId.TYPE, SectionId.IMPORT, SectionId.FUNCTION, SectionId.TABLE,
        SectionId.MEMORY, SectionId.GLOBAL, SectionId.EXPORT, SectionId.ELEMENT, SectionId.DATA_COUNT,
        SectionId.DATA};

    private static WasmModule parse(byte[] wasm) {
        var builder = Parser.builder().withValidation(false);
        for (int id : SECTIONS) {
            builder.includeSectionId(id);
        }
        return builder.build().parse(wasm);
    }

    @Test
    void splitModuleKeepsTheInterfaceAndIndexSpaces() throws Exception {
        byte[] originalBytes = Files.readAllBytes(
                CompiledModuleTest.buildFile("pglite.npm.dir", "package/dist/pglite.wasm"));
        byte[] splitBytes = Files.readAllBytes(CompiledModuleTest.buildFile("pglite.split.dir", "pglite.wasm"));
        WasmModule original = parse(originalBytes);
        WasmModule split = parse(splitBytes);

        assertThat(imports(split)).isEqualTo(imports(original));
        assertThat(split.exportSection()).isEqualTo(original.exportSection());
        assertThat(split.tableSection()).isEqualTo(original.tableSection());
        assertThat(split.memorySection()).isEqualTo(original.memorySection());
        // (Chicory's Instruction#equals compares byte addresses, which move with the code: compare
        // opcodes and operands.)
        assertThat(elements(split)).isEqualTo(elements(original)).isNotEmpty();
        assertThat(data(split)).isEqualTo(data(original)).isNotEmpty();
        assertThat(split.dataCountSection().map(d -> d.dataCount()))
                .isEqualTo(original.dataCountSection().map(d -> d.dataCount()));

        List<String> originalGlobals = globals(original);
        List<String> splitGlobals = globals(split);
        assertThat(splitGlobals.size()).isGreaterThanOrEqualTo(originalGlobals.size());
        assertThat(splitGlobals.subList(0, originalGlobals.size())).isEqualTo(originalGlobals);

        int functions = original.functionSection().functionCount();
        assertThat(split.functionSection().functionCount())
                .as("the split adds the outlined functions").isGreaterThan(functions);
        for (int i = 0; i < functions; i++) {
            assertThat(split.typeSection().getType(split.functionSection().getFunctionType(i)))
                    .as("signature of defined function %d", i)
                    .isEqualTo(original.typeSection().getType(original.functionSection().getFunctionType(i)));
        }

        // dylink.0 (the side-module metadata Emscripten's loader reads) is unchanged and still first.
        assertThat(firstCustomSection(splitBytes)).isEqualTo(firstCustomSection(originalBytes));
    }

    /** Imports with function imports described by their signature (type indices may be renumbered). */
    private static List<String> imports(WasmModule m) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < m.importSection().importCount(); i++) {
            Import imp = m.importSection().getImport(i);
            String desc = imp.importType() == ExternalType.FUNCTION
                    ? m.typeSection().getType(((FunctionImport) imp).typeIndex()).toString()
                    : imp.toString();
            out.add(imp.module() + "." + imp.name() + " " + imp.importType() + " " + desc);
        }
        return out;
    }

    private static String code(List<Instruction> instructions) {
        StringBuilder b = new StringBuilder();
        for (Instruction i : instructions) {
            b.append(i.opcode()).append(Arrays.toString(i.operands())).append(' ');
        }
        return b.toString();
    }

    private static List<String> elements(WasmModule m) {
        List<String> out = new ArrayList<>();
        for (Element e : m.elementSection().elements()) {
            StringBuilder b = new StringBuilder(e.getClass().getSimpleName()).append(' ').append(e.type());
            if (e instanceof ActiveElement a) {
                b.append(" table ").append(a.tableIndex()).append(" at ").append(code(a.offset()));
            }
            for (List<Instruction> init : e.initializers()) {
                b.append(" | ").append(code(init));
            }
            out.add(b.toString());
        }
        return out;
    }

    private static List<String> data(WasmModule m) {
        List<String> out = new ArrayList<>();
        for (DataSegment d : m.dataSection().dataSegments()) {
            String where = d instanceof ActiveDataSegment a
                    ? "active " + a.index() + " at " + code(a.offsetInstructions()) : d.getClass().getSimpleName();
            out.add(where + " " + d.data().length + " bytes, sha256 " + sha256(d.data()));
        }
        return out;
    }

    private static List<String> globals(WasmModule m) {
        List<String> out = new ArrayList<>();
        for (Global g : m.globalSection().globals()) {
            out.add(g.valueType() + " " + g.mutabilityType() + " " + code(g.initInstructions()));
        }
        return out;
    }

    private static String sha256(byte[] data) {
        try {
            return CompiledModuleTest.sha256(data);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    /** The first section of the binary, which must be the custom section dylink.0: its raw bytes. */
    private static byte[] firstCustomSection(byte[] wasm) {
        assertThat(wasm[8]).as("first section id").isEqualTo((byte) 0);
        int[] p = {9};
        int size = (int) leb(wasm, p);
        byte[] section = Arrays.copyOfRange(wasm, p[0], p[0] + size);
        int[] q = {0};
        int nameLength = (int) leb(section, q);
        assertThat(new String(section, q[0], nameLength, java.nio.charset.StandardCharsets.UTF_8))
                .isEqualTo("dylink.0");
        return section;
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
}
