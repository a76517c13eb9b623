package io.pglite.wasm.dylink;

import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.ValType;
import java.util.ArrayList;
import java.util.List;

/**
 * Binary encoding of the value types that can appear in a function signature handled here.
 *
 * <p>Only the types C compiled by Emscripten produces are supported (numbers, v128, and the
 * nullable abstract references funcref/externref/exnref). Typed function references and GC types
 * would need their type indices remapped inside signatures, which nothing here needs, so they
 * are rejected loudly instead of being mis-encoded.
 */
final class ValTypes {
    private ValTypes() {}

    static final int FUNC = 0x60;

    static ValType decode(int code, int offset) {
        switch (code) {
            case 0x7F:
                return ValType.I32;
            case 0x7E:
                return ValType.I64;
            case 0x7D:
                return ValType.F32;
            case 0x7C:
                return ValType.F64;
            case 0x7B:
                return ValType.V128;
            case 0x70:
                return ValType.FuncRef;
            case 0x6F:
                return ValType.ExternRef;
            case 0x69:
                return ValType.ExnRef;
            default:
                throw new MalformedModuleException(
                        String.format(
                                "unsupported value type 0x%02x in a function signature at offset %d",
                                code, offset));
        }
    }

    static int encode(ValType t) {
        if (t.equals(ValType.I32)) {
            return 0x7F;
        } else if (t.equals(ValType.I64)) {
            return 0x7E;
        } else if (t.equals(ValType.F32)) {
            return 0x7D;
        } else if (t.equals(ValType.F64)) {
            return 0x7C;
        } else if (t.equals(ValType.V128)) {
            return 0x7B;
        } else if (t.equals(ValType.FuncRef)) {
            return 0x70;
        } else if (t.equals(ValType.ExternRef)) {
            return 0x6F;
        } else if (t.equals(ValType.ExnRef)) {
            return 0x69;
        }
        throw new IllegalArgumentException("unsupported value type in a function signature: " + t);
    }

    /** Reads one {@code functype} (0x60 params results) from the reader. */
    static FunctionType readFunctionType(ByteReader r) {
        int at = r.pos();
        int form = r.u8();
        if (form != FUNC) {
            throw new MalformedModuleException(
                    String.format(
                            "type at offset %d has form 0x%02x; only plain function types (0x60) are"
                                    + " supported (no GC rec/sub types)",
                            at, form));
        }
        List<ValType> params = readVec(r);
        List<ValType> results = readVec(r);
        return FunctionType.of(params, results);
    }

    private static List<ValType> readVec(ByteReader r) {
        int n = r.index();
        List<ValType> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            int at = r.pos();
            out.add(decode(r.u8(), at));
        }
        return out;
    }

    static void writeFunctionType(ByteWriter w, FunctionType t) {
        w.u8(FUNC);
        w.u32(t.params().size());
        for (ValType v : t.params()) {
            w.u8(encode(v));
        }
        w.u32(t.returns().size());
        for (ValType v : t.returns()) {
            w.u8(encode(v));
        }
    }
}
