package io.pglite.backend;

import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.ValType;
import io.pglite.wasm.EmscriptenProcess;
import java.util.List;

/**
 * Host implementations of PostgreSQL functions that side modules import but that the PGlite build of
 * {@code pglite.wasm} does not export (the linker kept them out of the main module). Without them the encoding
 * conversion modules could be loaded but not used. Each mirrors the C function of the same name.
 */
public final class MissingSymbols {
    private static final FunctionType II_I = FunctionType.of(List.of(ValType.I32, ValType.I32), List.of(ValType.I32));
    private static final FunctionType III_V = FunctionType.of(List.of(ValType.I32, ValType.I32, ValType.I32),
            List.of());
    private static final FunctionType IIII_V = FunctionType.of(
            List.of(ValType.I32, ValType.I32, ValType.I32, ValType.I32), List.of());

    private MissingSymbols() {}

    /**
     * Returns a host implementation of {@code name} with the given signature, or {@code null}.
     *
     * @param p the backend process
     * @param name the symbol
     * @param type the signature the importer expects
     * @return the function or null
     */
    public static HostFunction lookup(EmscriptenProcess p, String name, FunctionType type) {
        switch (name) {
            case "pg_utf8_islegal":
                if (type.equals(II_I)) {
                    return new HostFunction("env", name, type,
                            (inst, a) -> new long[] {utf8IsLegal(p.memory(), (int) a[0], (int) a[1]) ? 1 : 0});
                }
                return null;
            case "report_invalid_encoding":
                if (type.equals(III_V)) {
                    return new HostFunction("env", name, type, (inst, a) -> {
                        throw PostgresErrors.raise(p, "22021", "invalid byte sequence for encoding \""
                                + encodingName(p, (int) a[0]) + "\": "
                                + bytes(p.memory(), (int) a[1], (int) a[2]));
                    });
                }
                return null;
            case "report_untranslatable_char":
                if (type.equals(IIII_V)) {
                    return new HostFunction("env", name, type, (inst, a) -> {
                        throw PostgresErrors.raise(p, "22P05", "character with byte sequence "
                                + bytes(p.memory(), (int) a[2], (int) a[3]) + " in encoding \""
                                + encodingName(p, (int) a[0]) + "\" has no equivalent in encoding \""
                                + encodingName(p, (int) a[1]) + "\"");
                    });
                }
                return null;
            default:
                return null;
        }
    }

    /** PostgreSQL's pg_utf8_islegal: is this one well-formed UTF-8 character of the given length. */
    static boolean utf8IsLegal(Memory m, int source, int length) {
        int a;
        switch (length) {
            case 4:
                a = m.read(source + 3) & 0xff;
                if (a < 0x80 || a > 0xBF) {
                    return false;
                }
                // fall through
            case 3:
                a = m.read(source + 2) & 0xff;
                if (a < 0x80 || a > 0xBF) {
                    return false;
                }
                // fall through
            case 2:
                a = m.read(source + 1) & 0xff;
                int first = m.read(source) & 0xff;
                int low = 0x80;
                int high = 0xBF;
                if (first == 0xE0) {
                    low = 0xA0;
                } else if (first == 0xED) {
                    high = 0x9F;
                } else if (first == 0xF0) {
                    low = 0x90;
                } else if (first == 0xF4) {
                    high = 0x8F;
                }
                if (a < low || a > high) {
                    return false;
                }
                // fall through
            case 1:
                a = m.read(source) & 0xff;
                return !(a >= 0x80 && a < 0xC2) && a <= 0xF4;
            default:
                return false;
        }
    }

    /** PostgreSQL's pg_enc numbering (stable across versions); pg_encoding_to_char is not exported. */
    private static final String[] ENCODINGS = {
        "SQL_ASCII", "EUC_JP", "EUC_CN", "EUC_KR", "EUC_TW", "EUC_JIS_2004", "UTF8", "MULE_INTERNAL",
        "LATIN1", "LATIN2", "LATIN3", "LATIN4", "LATIN5", "LATIN6", "LATIN7", "LATIN8", "LATIN9", "LATIN10",
        "WIN1256", "WIN1258", "WIN866", "WIN874", "KOI8R", "WIN1251", "WIN1252", "ISO_8859_5", "ISO_8859_6",
        "ISO_8859_7", "ISO_8859_8", "WIN1250", "WIN1253", "WIN1254", "WIN1255", "WIN1257", "KOI8U", "SJIS",
        "BIG5", "GBK", "UHC", "GB18030", "JOHAB", "SHIFT_JIS_2004"};

    private static String encodingName(EmscriptenProcess p, int encoding) {
        return encoding >= 0 && encoding < ENCODINGS.length ? ENCODINGS[encoding] : "encoding " + encoding;
    }

    /** Formats up to 8 bytes as PostgreSQL does in encoding errors: 0xe9 0x20 ... */
    private static String bytes(Memory m, int ptr, int len) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < Math.min(len, 8); i++) {
            if (i > 0) {
                sb.append(' ');
            }
            sb.append(String.format("0x%02x", m.read(ptr + i) & 0xff));
        }
        return sb.toString();
    }
}
