package io.pglite.wasm.dylink;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Rewrites a wasm binary so that its type section is the {@link TypeRegistry}'s list (main
 * module's types first, in order) and every type index in the module refers into that list.
 *
 * <p>Why a binary rewrite rather than patching Chicory's parsed model: the parsed model's
 * instructions carry derived control-flow data computed by the parser, and rebuilding a {@code
 * WasmModule} by hand would depend on Chicory internals. Rewriting bytes keeps Chicory's own parser
 * and validator as the judge of the result, and the output can be checked with other tools
 * ({@code wasm-validate}) or fed to Chicory's compiler unchanged.
 *
 * <p>What is remapped: function and tag imports, the function section, the tag section, {@code
 * call_indirect}/{@code return_call_indirect}/{@code call_ref}/{@code return_call_ref}
 * immediates, block types of {@code block}/{@code loop}/{@code if}/{@code try}/{@code try_table}
 * that name a type index, and heap types (in {@code ref.null}, typed reference value types of
 * locals, globals, tables, element segments and {@code select t}). Everything else is copied byte
 * for byte, so only the type section and the code bodies whose immediates changed size differ from
 * the input. The instruction decoder knows MVP, sign-extension, saturating truncation, bulk memory,
 * reference types, tail calls, multi-memory memargs, SIMD (incl. relaxed), threads/atomics and
 * both exception-handling encodings; GC instructions ({@code 0xFB}) and GC types are rejected with
 * a {@link MalformedModuleException}.
 */
public final class TypePrefixRewriter {

    private static final byte[] HEADER = {0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00};

    private final byte[] in;
    private final TypeRegistry registry;
    private int[] typeMap = new int[0];

    private TypePrefixRewriter(byte[] in, TypeRegistry registry) {
        this.in = in;
        this.registry = registry;
    }

    /**
     * Rewrites {@code wasm} against {@code registry}. Signatures the registry lacks are appended
     * to it.
     *
     * @param wasm a wasm module binary (not modified)
     * @param registry the type index space of the main instance the module will join
     * @return the rewritten binary
     * @throws MalformedModuleException if the binary cannot be decoded
     */
    public static byte[] rewrite(byte[] wasm, TypeRegistry registry) {
        return rewriteWithMap(wasm, registry).bytes();
    }

    /** The rewritten binary plus the old-to-new type index map (for tests and diagnostics). */
    static Result rewriteWithMap(byte[] wasm, TypeRegistry registry) {
        Objects.requireNonNull(wasm, "wasm");
        Objects.requireNonNull(registry, "registry");
        return new TypePrefixRewriter(wasm, registry).run();
    }

    /** Output of a rewrite. */
    record Result(byte[] bytes, int[] typeMap) {}

    private Result run() {
        if (in.length < 8) {
            throw new MalformedModuleException("not a wasm module: only " + in.length + " bytes");
        }
        for (int i = 0; i < HEADER.length; i++) {
            if (in[i] != HEADER[i]) {
                throw new MalformedModuleException("not a wasm module (bad magic or version)");
            }
        }
        List<int[]> sections = new ArrayList<>();
        ByteReader r = new ByteReader(in, 8, in.length);
        while (r.hasMore()) {
            int id = r.u8();
            int size = r.index();
            int start = r.pos();
            r.skip(size);
            sections.add(new int[] {id, start, start + size});
        }

        for (int[] s : sections) {
            if (s[0] == 1) {
                typeMap = readTypes(s[1], s[2]);
            }
        }
        // Rewrite every section first: block types may add alias types to the registry (see
        // Patcher.blockType), and the type section must list every index used.
        List<Object[]> rewritten = new ArrayList<>();
        for (int[] s : sections) {
            int id = s[0];
            switch (id) {
                case 0: // custom
                case 5: // memory
                case 7: // export
                case 8: // start
                case 11: // data
                case 12: // data count
                    rewritten.add(new Object[] {id, null, s});
                    break;
                case 1:
                    if (rewritten.stream().anyMatch(o -> (int) o[0] == 1)) {
                        throw new MalformedModuleException("more than one type section");
                    }
                    rewritten.add(new Object[] {id, null, null});
                    break;
                case 2:
                case 3:
                case 4:
                case 6:
                case 9:
                case 13:
                    rewritten.add(new Object[] {id, patchSection(id, s[1], s[2]), null});
                    break;
                case 10:
                    rewritten.add(new Object[] {id, codeSection(s[1], s[2]), null});
                    break;
                default:
                    throw new MalformedModuleException(
                            "unknown section id " + id + " at offset " + (s[1] - 1));
            }
        }
        byte[] typePayload = registry.typeSectionPayload();

        ByteWriter out = new ByteWriter(in.length + typePayload.length + 1024);
        out.bytes(HEADER);
        boolean typeWritten = false;
        for (Object[] o : rewritten) {
            int id = (int) o[0];
            if (id != 0 && !typeWritten) {
                // The type section is the first non-custom section; emit it here even if the input
                // had none, so custom sections that must stay in front (dylink.0) stay in front.
                out.u8(1).u32(typePayload.length).bytes(typePayload);
                typeWritten = true;
                if (id == 1) {
                    continue;
                }
            }
            if (o[1] != null) {
                out.section(id, (ByteWriter) o[1]);
            } else {
                int[] s = (int[]) o[2];
                out.u8(id).u32(s[2] - s[1]).bytes(in, s[1], s[2] - s[1]);
            }
        }
        if (!typeWritten) {
            out.u8(1).u32(typePayload.length).bytes(typePayload);
        }
        return new Result(out.toByteArray(), typeMap.clone());
    }

    private int[] readTypes(int start, int end) {
        ByteReader r = new ByteReader(in, start, end);
        int n = r.index();
        int[] map = new int[n];
        for (int i = 0; i < n; i++) {
            map[i] = registry.intern(ValTypes.readFunctionType(r));
        }
        expectEnd(r, "type");
        return map;
    }

    private ByteWriter patchSection(int id, int start, int end) {
        ByteReader r = new ByteReader(in, start, end);
        ByteWriter payload = new ByteWriter(end - start + 64);
        Patcher p = new Patcher(r, payload);
        int n = r.index();
        for (int i = 0; i < n; i++) {
            switch (id) {
                case 2:
                    importEntry(p);
                    break;
                case 3:
                    p.typeIdx();
                    break;
                case 4:
                    if (r.peek() == 0x40 && r.peek(1) == 0x00) {
                        r.skip(2);
                        tableType(p);
                        instructions(p, end, true);
                    } else {
                        tableType(p);
                    }
                    break;
                case 6:
                    globalType(p);
                    instructions(p, end, true);
                    break;
                case 9:
                    elementSegment(p, end);
                    break;
                case 13:
                    r.u8(); // attribute
                    p.typeIdx();
                    break;
                default:
                    throw new IllegalStateException("section " + id);
            }
        }
        expectEnd(r, "section " + id);
        p.finish();
        return payload;
    }

    private void importEntry(Patcher p) {
        ByteReader r = p.r;
        r.name();
        r.name();
        int at = r.pos();
        int kind = r.u8();
        switch (kind) {
            case 0:
                p.typeIdx();
                break;
            case 1:
                tableType(p);
                break;
            case 2:
                limits(r);
                break;
            case 3:
                globalType(p);
                break;
            case 4:
                r.u8();
                p.typeIdx();
                break;
            default:
                throw new MalformedModuleException("unknown import kind " + kind + " at offset " + at);
        }
    }

    private void elementSegment(Patcher p, int end) {
        ByteReader r = p.r;
        int at = r.pos();
        int flags = r.index();
        switch (flags) {
            case 0:
                instructions(p, end, true);
                indexVector(r);
                break;
            case 1:
            case 3:
                r.u8(); // elemkind
                indexVector(r);
                break;
            case 2:
                r.index(); // table
                instructions(p, end, true);
                r.u8();
                indexVector(r);
                break;
            case 4:
                instructions(p, end, true);
                exprVector(p, end);
                break;
            case 5:
            case 7:
                valType(p);
                exprVector(p, end);
                break;
            case 6:
                r.index();
                instructions(p, end, true);
                valType(p);
                exprVector(p, end);
                break;
            default:
                throw new MalformedModuleException(
                        "unknown element segment flags " + flags + " at offset " + at);
        }
    }

    private static void indexVector(ByteReader r) {
        int n = r.index();
        for (int i = 0; i < n; i++) {
            r.u32();
        }
    }

    private void exprVector(Patcher p, int end) {
        int n = p.r.index();
        for (int i = 0; i < n; i++) {
            instructions(p, end, true);
        }
    }

    private ByteWriter codeSection(int start, int end) {
        ByteReader r = new ByteReader(in, start, end);
        ByteWriter payload = new ByteWriter(end - start + 1024);
        int n = r.index();
        payload.u32(n);
        for (int i = 0; i < n; i++) {
            int size = r.index();
            int bodyStart = r.pos();
            int bodyEnd = bodyStart + size;
            if (bodyEnd > end) {
                throw new MalformedModuleException(
                        "function body " + i + " at offset " + bodyStart + " runs past the code section");
            }
            ByteWriter body = new ByteWriter(size + 16);
            Patcher p = new Patcher(r, body);
            int groups = r.index();
            for (int g = 0; g < groups; g++) {
                r.u32();
                valType(p);
            }
            instructions(p, bodyEnd, false);
            p.finish();
            payload.u32(body.size()).bytes(body);
        }
        expectEnd(r, "code");
        return payload;
    }

    private static void tableType(Patcher p) {
        valType(p);
        limits(p.r);
    }

    private static void globalType(Patcher p) {
        valType(p);
        p.r.u8(); // mutability
    }

    private static void limits(ByteReader r) {
        int at = r.pos();
        int flags = r.u8();
        if ((flags & ~0x0F) != 0) {
            throw new MalformedModuleException("unknown limits flags " + flags + " at offset " + at);
        }
        r.skipU64();
        if ((flags & 0x01) != 0) {
            r.skipU64();
        }
        if ((flags & 0x08) != 0) {
            r.u32(); // custom page size (log2)
        }
    }

    private static void valType(Patcher p) {
        int code = p.r.u8();
        if (code == 0x63 || code == 0x64) {
            p.heapType();
        }
    }

    /**
     * Walks instructions, remapping type immediates. For a constant expression it stops after the
     * {@code end} that closes it; for a function body it requires the closing {@code end} to be the
     * last byte before {@code limit}.
     */
    private void instructions(Patcher p, int limit, boolean constExpr) {
        ByteReader r = p.r;
        int depth = 0;
        while (true) {
            if (r.pos() >= limit) {
                throw new MalformedModuleException(
                        (constExpr ? "constant expression" : "function body")
                                + " not terminated by end before offset "
                                + limit);
            }
            int at = r.pos();
            int op = r.u8();
            if (op >= 0x45 && op <= 0xC4) {
                continue; // numeric operators, including sign extension: no immediates
            }
            switch (op) {
                case 0x00: // unreachable
                case 0x01: // nop
                case 0x05: // else
                case 0x0A: // throw_ref
                case 0x0F: // return
                case 0x19: // catch_all
                case 0x1A: // drop
                case 0x1B: // select
                case 0xD1: // ref.is_null
                case 0xD3: // ref.eq
                case 0xD4: // ref.as_non_null
                    break;
                case 0x02: // block
                case 0x03: // loop
                case 0x04: // if
                case 0x06: // try (legacy exceptions)
                    p.blockType();
                    depth++;
                    break;
                case 0x1F: // try_table
                    {
                        p.blockType();
                        int n = r.index();
                        for (int i = 0; i < n; i++) {
                            int kind = r.u8();
                            if (kind == 0x00 || kind == 0x01) {
                                r.u32(); // tag
                                r.u32(); // label
                            } else if (kind == 0x02 || kind == 0x03) {
                                r.u32();
                            } else {
                                throw new MalformedModuleException(
                                        "unknown catch kind " + kind + " at offset " + at);
                            }
                        }
                        depth++;
                        break;
                    }
                case 0x0B: // end
                    if (depth == 0) {
                        if (!constExpr && r.pos() != limit) {
                            throw new MalformedModuleException(
                                    "function body ends at offset "
                                            + r.pos()
                                            + " before its declared end "
                                            + limit);
                        }
                        return;
                    }
                    depth--;
                    break;
                case 0x18: // delegate: closes a legacy try like end does
                    r.u32();
                    if (depth > 0) {
                        depth--;
                    }
                    break;
                case 0x07: // catch tag
                case 0x08: // throw tag
                case 0x09: // rethrow label
                case 0x0C: // br
                case 0x0D: // br_if
                case 0x10: // call
                case 0x12: // return_call
                case 0x20: // local.get
                case 0x21: // local.set
                case 0x22: // local.tee
                case 0x23: // global.get
                case 0x24: // global.set
                case 0x25: // table.get
                case 0x26: // table.set
                case 0x3F: // memory.size
                case 0x40: // memory.grow
                case 0xD2: // ref.func
                case 0xD5: // br_on_null
                case 0xD6: // br_on_non_null
                    r.u32();
                    break;
                case 0x0E: // br_table
                    {
                        int n = r.index();
                        for (int i = 0; i <= n; i++) {
                            r.u32();
                        }
                        break;
                    }
                case 0x11: // call_indirect
                case 0x13: // return_call_indirect
                    p.typeIdx();
                    r.u32(); // table
                    break;
                case 0x14: // call_ref
                case 0x15: // return_call_ref
                    p.typeIdx();
                    break;
                case 0x1C: // select t*
                    {
                        int n = r.index();
                        for (int i = 0; i < n; i++) {
                            valType(p);
                        }
                        break;
                    }
                case 0x41:
                    r.signed(32);
                    break;
                case 0x42:
                    r.signed(64);
                    break;
                case 0x43:
                    r.skip(4);
                    break;
                case 0x44:
                    r.skip(8);
                    break;
                case 0xD0: // ref.null ht
                    p.heapType();
                    break;
                case 0xFC:
                    miscPrefix(r, at);
                    break;
                case 0xFD:
                    simdPrefix(r, at);
                    break;
                case 0xFE:
                    atomicPrefix(r, at);
                    break;
                default:
                    if (op >= 0x28 && op <= 0x3E) {
                        memarg(r); // loads and stores
                        break;
                    }
                    throw new MalformedModuleException(
                            String.format("unsupported opcode 0x%02x at offset %d", op, at));
            }
        }
    }

    private static void miscPrefix(ByteReader r, int at) {
        int sub = r.index();
        switch (sub) {
            case 0: // i32.trunc_sat_f32_s ... i64.trunc_sat_f64_u
            case 1:
            case 2:
            case 3:
            case 4:
            case 5:
            case 6:
            case 7:
                break;
            case 8: // memory.init data mem
            case 10: // memory.copy mem mem
            case 12: // table.init elem table
            case 14: // table.copy table table
                r.u32();
                r.u32();
                break;
            case 9: // data.drop
            case 11: // memory.fill
            case 13: // elem.drop
            case 15: // table.grow
            case 16: // table.size
            case 17: // table.fill
                r.u32();
                break;
            default:
                throw new MalformedModuleException(
                        "unsupported 0xFC sub-opcode " + sub + " at offset " + at);
        }
    }

    private static void simdPrefix(ByteReader r, int at) {
        int sub = r.index();
        if (sub <= 11 || sub == 92 || sub == 93) {
            memarg(r); // v128 loads/stores, load_splat, load_zero
        } else if (sub == 12 || sub == 13) {
            r.skip(16); // v128.const, i8x16.shuffle
        } else if (sub >= 21 && sub <= 34) {
            r.u8(); // extract/replace lane
        } else if (sub >= 84 && sub <= 91) {
            memarg(r); // load/store lane
            r.u8();
        } else if (sub > 0x113) {
            throw new MalformedModuleException(
                    "unsupported 0xFD sub-opcode " + sub + " at offset " + at);
        }
    }

    private static void atomicPrefix(ByteReader r, int at) {
        int sub = r.index();
        if (sub == 0x03) {
            r.u8(); // atomic.fence reserved byte
        } else if (sub <= 0x02 || (sub >= 0x10 && sub <= 0x4E)) {
            memarg(r);
        } else {
            throw new MalformedModuleException(
                    "unsupported 0xFE sub-opcode " + sub + " at offset " + at);
        }
    }

    private static void memarg(ByteReader r) {
        long align = r.u32();
        if ((align & 0x40) != 0) {
            r.u32(); // memory index (multi-memory)
        }
        r.skipU64(); // offset (u64 for memory64)
    }

    private static void expectEnd(ByteReader r, String what) {
        if (r.hasMore()) {
            throw new MalformedModuleException(
                    what + " section has " + r.remaining() + " trailing bytes at offset " + r.pos());
        }
    }

    /**
     * Copies the input to the output lazily: bytes are copied in bulk up to the start of an
     * immediate that changes, the new immediate is written, and copying resumes after the old one.
     */
    private final class Patcher {
        final ByteReader r;
        final ByteWriter out;
        int copied;

        Patcher(ByteReader r, ByteWriter out) {
            this.r = r;
            this.out = out;
            this.copied = r.pos();
        }

        void typeIdx() {
            int start = r.pos();
            long old = r.u32();
            int mapped = map(old, start);
            flushTo(start);
            out.u32(mapped);
            copied = r.pos();
        }

        /** s33 heap type: negative values are abstract types, non-negative are type indices. */
        void heapType() {
            int start = r.pos();
            long v = r.signed(33);
            if (v >= 0) {
                int mapped = map(v, start);
                flushTo(start);
                out.signed(mapped);
                copied = r.pos();
            }
        }

        /** Block type: 0x40, a one-byte value type, a typed reference, or an s33 type index. */
        void blockType() {
            int b = r.peek();
            if (b == 0x63 || b == 0x64) {
                r.u8();
                heapType();
            } else if ((b & 0xC0) == 0x40) {
                // one byte with the sign bit set: 0x40 (no result) or a value type code
                r.u8();
            } else {
                int start = r.pos();
                long v = r.signed(33);
                if (v < 0) {
                    throw new MalformedModuleException(
                            "invalid block type " + v + " at offset " + start);
                }
                // Chicory 1.7.5 reads a block type as a u32 and takes values that look like a
                // value-type code (64 = empty, 99/100, 105..115, 123..127) as that code, not as
                // a type index; give such blocks an alias index holding the same signature.
                int mapped = registry.blockTypeIndex(map(v, start));
                flushTo(start);
                out.signed(mapped);
                copied = r.pos();
            }
        }

        void finish() {
            flushTo(r.pos());
        }

        private void flushTo(int pos) {
            if (pos > copied) {
                out.bytes(r.buffer(), copied, pos - copied);
            }
            copied = pos;
        }

        private int map(long old, int at) {
            if (old >= typeMap.length) {
                throw new MalformedModuleException(
                        "type index " + old + " out of range (" + typeMap.length + " types) at offset " + at);
            }
            return typeMap[(int) old];
        }
    }
}
