package io.pglite.wasm.dylink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.fail;

import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.FunctionImport;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.Import;
import com.dylibso.chicory.wasm.types.Instruction;
import com.dylibso.chicory.wasm.types.OpCode;
import com.dylibso.chicory.wasm.types.ValType;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class TypePrefixRewriterTest {

    private static final String PLPGSQL = "/pglite/lib/postgresql/plpgsql.so";

    private static List<FunctionType> mainTypes() {
        return Arrays.asList(MainInstances.module().typeSection().types());
    }

    @Test
    void plpgsqlGetsPglitesTypesAsPrefixAndKeepsEverySignature() {
        TypeRegistry registry = new TypeRegistry(mainTypes());
        byte[] original = PgliteTestFiles.file(PLPGSQL);
        TypePrefixRewriter.Result result = TypePrefixRewriter.rewriteWithMap(original, registry);

        WasmModule before = Parser.parse(original);
        WasmModule after = Parser.parse(result.bytes()); // Chicory parses and validates

        List<FunctionType> newTypes = Arrays.asList(after.typeSection().types());
        assertThat(newTypes.subList(0, mainTypes().size())).isEqualTo(mainTypes());
        assertThat(result.typeMap()).hasSize(before.typeSection().typeCount());
        for (int i = 0; i < result.typeMap().length; i++) {
            int mapped = result.typeMap()[i];
            assertThat(newTypes.get(mapped)).isEqualTo(before.typeSection().getType(i));
            // every plpgsql signature exists in pglite, so none is appended
            assertThat(mapped).isLessThan(mainTypes().size());
            assertThat(mapped).isEqualTo(mainTypes().indexOf(before.typeSection().getType(i)));
        }
        // plpgsql's type 2 is (i32,i32)->nil, pglite's type 4: the indices really move
        assertThat(result.typeMap()[2]).isEqualTo(4);

        assertSameFunctionSignatures(before, after);
        assertSameCode(before, after, result.typeMap());
    }

    @Test
    void everyPackagedSideModuleRewritesToAnEquivalentValidModule() {
        TypeRegistry registry = new TypeRegistry(mainTypes());
        int checked = 0;
        for (String f : PgliteTestFiles.files()) {
            if (!f.endsWith(".so")) {
                continue;
            }
            byte[] original = PgliteTestFiles.file(f);
            TypePrefixRewriter.Result result = TypePrefixRewriter.rewriteWithMap(original, registry);
            WasmModule before = Parser.parse(original);
            WasmModule after = Parser.parse(result.bytes());
            assertSameFunctionSignatures(before, after);
            assertSameCode(before, after, result.typeMap());
            // the dylink.0 section must stay first for the loader
            assertThat(DylinkInfo.parse(result.bytes()).memorySize())
                    .isEqualTo(DylinkInfo.parse(original).memorySize());
            checked++;
        }
        assertThat(checked).isGreaterThanOrEqualTo(25);
        for (var e : PgliteTestFiles.extensionLibraries().entrySet()) {
            byte[] original = e.getValue();
            TypePrefixRewriter.Result result = TypePrefixRewriter.rewriteWithMap(original, registry);
            WasmModule before = Parser.parse(original);
            WasmModule after = Parser.parse(result.bytes());
            assertSameFunctionSignatures(before, after);
            assertSameCode(before, after, result.typeMap());
            checked++;
        }
        assertThat(checked).as("pglite.data and contrib libraries").isGreaterThanOrEqualTo(60);
    }

    @Test
    void wabtAcceptsTheRewrittenPlpgsql() throws Exception {
        assertThat(onPath("wasm-validate"))
                .as("wabt's wasm-validate must be installed (Debian package wabt; .ci/run installs it)")
                .isTrue();
        byte[] rewritten =
                TypePrefixRewriter.rewrite(
                        PgliteTestFiles.file(PLPGSQL), new TypeRegistry(mainTypes()));
        Path tmp = Files.createTempFile("plpgsql-rewritten", ".wasm");
        try {
            Files.write(tmp, rewritten);
            Process p =
                    new ProcessBuilder("wasm-validate", tmp.toString())
                            .redirectErrorStream(true)
                            .start();
            String out = new String(p.getInputStream().readAllBytes());
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).as(out).isZero();
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    @Test
    void rewrittenModuleComputesTheSameResults() {
        byte[] original = standaloneModule();
        // 64 unrelated types in front push the module's multi-value block type to index 64,
        // which Chicory 1.7.5 would read as "empty block": the rewriter must use an alias.
        List<FunctionType> prefix = new ArrayList<>();
        for (int k = 0; k < 64; k++) {
            prefix.add(FunctionType.of(nOf(ValType.I64, k), List.of()));
        }
        TypeRegistry registry = new TypeRegistry(prefix);
        TypePrefixRewriter.Result result = TypePrefixRewriter.rewriteWithMap(original, registry);
        assertThat(result.typeMap()[0]).isEqualTo(64);
        int alias = registry.blockTypeIndex(64);
        assertThat(alias).isNotEqualTo(64);
        assertThat(TypeRegistry.misreadAsValueType(alias)).isFalse();
        assertThat(registry.type(alias)).isEqualTo(registry.type(64));

        Instance before = Instance.builder(Parser.parse(original)).build();
        Instance after = Instance.builder(Parser.parse(result.bytes())).build();
        for (String fn : List.of("run", "bulk", "numeric")) {
            long[] expected = before.export(fn).apply();
            assertThat(after.export(fn).apply()).as(fn).isEqualTo(expected);
        }
        assertThat(before.export("run").apply()[0]).isEqualTo(42 + 42);
        assertThat((int) before.export("numeric").apply()[0]).isEqualTo(Integer.MAX_VALUE - 1);
    }

    @Test
    void truncatedModulesFailWithMalformedModuleException() {
        byte[] original = PgliteTestFiles.file(PLPGSQL);
        TypeRegistry registry = new TypeRegistry(mainTypes());
        for (int len = 0; len < original.length; len += 997) {
            byte[] cut = Arrays.copyOf(original, len);
            assertThatThrownBy(() -> TypePrefixRewriter.rewrite(cut, registry))
                    .as("truncated at %d", len)
                    .isInstanceOf(MalformedModuleException.class);
        }
    }

    @Test
    void gcInstructionsAreRejected() {
        byte[] m = standaloneModule();
        // replace the first opcode of the "numeric" body (f64.const) with the GC prefix
        int at = indexOf(m, new byte[] {0x44, 0x00, 0x00, 0x00, 0x00});
        m[at] = (byte) 0xFB;
        assertThatThrownBy(() -> TypePrefixRewriter.rewrite(m, new TypeRegistry(List.of())))
                .isInstanceOf(MalformedModuleException.class)
                .hasMessageContaining("0xfb");
    }

    // ------------------------------------------------------------------ helpers

    /**
     * A module needing no imports: a multi-value block with a type index, call_indirect through
     * its own table, bulk memory, saturating truncation, sign extension, select t, ref.null and
     * ref.is_null.
     */
    static byte[] standaloneModule() {
        ByteWriter out = new ByteWriter();
        out.bytes(new byte[] {0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00});
        ByteWriter types = new ByteWriter();
        types.u32(3);
        types.u8(0x60).u32(0).u32(2).u8(0x7F).u8(0x7F); // t0 ()->(i32,i32)
        types.u8(0x60).u32(2).u8(0x7F).u8(0x7F).u32(1).u8(0x7F); // t1 (i32,i32)->i32
        types.u8(0x60).u32(0).u32(1).u8(0x7F); // t2 ()->i32
        out.section(1, types);
        ByteWriter funcs = new ByteWriter();
        funcs.u32(4).u32(1).u32(2).u32(2).u32(2);
        out.section(3, funcs);
        ByteWriter table = new ByteWriter();
        table.u32(1).u8(0x70).u8(0).u32(1);
        out.section(4, table);
        ByteWriter mem = new ByteWriter();
        mem.u32(1).u8(0).u32(1);
        out.section(5, mem);
        ByteWriter exports = new ByteWriter();
        exports.u32(3);
        exports.name("run").u8(0).u32(1);
        exports.name("bulk").u8(0).u32(2);
        exports.name("numeric").u8(0).u32(3);
        out.section(7, exports);
        ByteWriter elem = new ByteWriter();
        elem.u32(1).u32(0).u8(0x41).signed(0).u8(0x0B).u32(1).u32(0);
        out.section(9, elem);
        ByteWriter code = new ByteWriter();
        byte[][] bodies = {
            // add(a, b)
            {0x00, 0x20, 0x00, 0x20, 0x01, 0x6A, 0x0B},
            // run: block (type 0) { 40; 2 } ; call_indirect (type 1) via slot 0 -> 42 ;
            //      then (block (type 0) {21; 21}) i32.add -> 42 ; i32.add -> 84
            {
                0x00, 0x02, 0x00, 0x41, 0x28, 0x41, 0x02, 0x0B, 0x41, 0x00, 0x11, 0x01, 0x00, 0x02,
                0x00, 0x41, 0x15, 0x41, 0x15, 0x0B, 0x6A, 0x6A, 0x0B
            },
            // bulk: memory.fill(0, 7, 8); memory.copy(16, 0, 8); i32.load(20)
            //       + (ref.is_null (ref.null func)) + select t(i32)(0, 5, 1)
            {
                0x00, 0x41, 0x00, 0x41, 0x07, 0x41, 0x08, (byte) 0xFC, 0x0B, 0x00, 0x41, 0x10, 0x41,
                0x00, 0x41, 0x08, (byte) 0xFC, 0x0A, 0x00, 0x00, 0x41, 0x14, 0x28, 0x02, 0x00,
                (byte) 0xD0, 0x70, (byte) 0xD1, 0x6A, 0x41, 0x00, 0x41, 0x05, 0x41, 0x01, 0x1C,
                0x01, 0x7F, 0x6A, 0x0B
            },
            // numeric: i32.trunc_sat_f64_s(f64 0.0 + 2^31 - 1... ) computed as
            //          trunc_sat(1e300) + extend8_s(0xFF) = MAX_VALUE - 1
            {
                0x00, 0x44, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, (byte) 0xF0, 0x7F, (byte) 0xFC, 0x02,
                0x41, (byte) 0xFF, 0x01, (byte) 0xC0, 0x6A, 0x0B
            },
        };
        code.u32(bodies.length);
        for (byte[] b : bodies) {
            code.u32(b.length).bytes(b);
        }
        out.section(10, code);
        return out.toByteArray();
    }

    private static List<ValType> nOf(ValType t, int n) {
        List<ValType> l = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            l.add(t);
        }
        return l;
    }

    private static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new IllegalArgumentException("pattern not found");
    }

    private static boolean onPath(String tool) {
        String path = System.getenv("PATH");
        if (path == null) {
            return false;
        }
        for (String dir : path.split(java.io.File.pathSeparator)) {
            if (Files.isExecutable(Path.of(dir, tool))) {
                return true;
            }
        }
        return false;
    }

    static void assertSameFunctionSignatures(WasmModule before, WasmModule after) {
        List<FunctionType> b = functionSignatures(before);
        List<FunctionType> a = functionSignatures(after);
        assertThat(a).isEqualTo(b);
    }

    private static List<FunctionType> functionSignatures(WasmModule m) {
        List<FunctionType> out = new ArrayList<>();
        for (int i = 0; i < m.importSection().importCount(); i++) {
            Import imp = m.importSection().getImport(i);
            if (imp instanceof FunctionImport) {
                out.add(m.typeSection().getType(((FunctionImport) imp).typeIndex()));
            }
        }
        for (int i = 0; i < m.functionSection().functionCount(); i++) {
            out.add(m.typeSection().getType(m.functionSection().getFunctionType(i)));
        }
        return out;
    }

    /** Same instructions in every body; type immediates differ exactly by the type map. */
    static void assertSameCode(WasmModule before, WasmModule after, int[] typeMap) {
        var bb = before.codeSection().functionBodies();
        var ab = after.codeSection().functionBodies();
        assertThat(ab).hasSameSizeAs(bb);
        for (int f = 0; f < bb.length; f++) {
            assertThat(ab[f].localTypes()).isEqualTo(bb[f].localTypes());
            List<? extends Instruction> bi = bb[f].instructions();
            List<? extends Instruction> ai = ab[f].instructions();
            assertThat(ai).as("body %d length", f).hasSameSizeAs(bi);
            for (int k = 0; k < bi.size(); k++) {
                Instruction x = bi.get(k);
                Instruction y = ai.get(k);
                if (x.opcode() != y.opcode()) {
                    fail("body " + f + " instruction " + k + ": " + x + " became " + y);
                }
                long[] xo = x.operands();
                long[] yo = y.operands();
                OpCode op = x.opcode();
                if (op == OpCode.CALL_INDIRECT || op == OpCode.RETURN_CALL_INDIRECT) {
                    assertThat(yo[0]).isEqualTo(typeMap[(int) xo[0]]);
                    assertThat(yo[1]).isEqualTo(xo[1]);
                } else if ((op == OpCode.BLOCK || op == OpCode.LOOP || op == OpCode.IF)
                        && isTypeIndex(xo[0])) {
                    FunctionType expected = before.typeSection().getType((int) xo[0]);
                    assertThat(after.typeSection().getType((int) yo[0])).isEqualTo(expected);
                } else {
                    assertThat(yo).as("body %d instruction %d %s", f, k, op).isEqualTo(xo);
                }
            }
        }
    }

    private static boolean isTypeIndex(long blockType) {
        return blockType != 0x40
                && blockType >= 0
                && blockType < Integer.MAX_VALUE
                && !ValType.ID.isValidOpcode((int) blockType);
    }

}
