package io.pglite.wasm.dylink;

/**
 * Hand-assembled side modules for tests, shaped like Emscripten's output: a leading {@code
 * dylink.0} section, imported memory/table/bases, GOT globals, an element segment at {@code
 * __table_base} and a data segment at {@code __memory_base}.
 *
 * <p>Types are declared in an order that differs from pglite's ({@code (i32,i32)->i32} is type 0
 * here, type 1 in pglite), so without the type-prefix rewrite a {@code call_indirect} from pglite
 * into {@code cmp_desc} trips Chicory 1.7.5's per-module type check.
 */
final class TestModules {
    private TestModules() {}

    static final int MEM_SIZE = 16;

    /** Defined functions follow the 4 function imports. */
    static final int FIRST_DEFINED = 4;

    /** Function index of {@code cmp_desc} inside the test library. */
    static final int F_CMP_DESC = FIRST_DEFINED;

    /**
     * @param extraGotMem name of an additional {@code GOT.mem} import, or null
     * @param extraWeak whether that import is declared weak in dylink.0
     * @param withDylink whether to emit the dylink.0 section (false: not a side module)
     */
    static byte[] testLibrary(String extraGotMem, boolean extraWeak, boolean withDylink) {
        ByteWriter out = new ByteWriter();
        out.bytes(new byte[] {0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00});

        if (withDylink) {
            ByteWriter dylink = new ByteWriter();
            dylink.name("dylink.0");
            ByteWriter memInfo = new ByteWriter();
            memInfo.u32(MEM_SIZE).u32(2).u32(1).u32(0);
            dylink.u8(1).u32(memInfo.size()).bytes(memInfo);
            if (extraGotMem != null && extraWeak) {
                ByteWriter importInfo = new ByteWriter();
                importInfo.u32(1).name("GOT.mem").name(extraGotMem).u32(1);
                dylink.u8(4).u32(importInfo.size()).bytes(importInfo);
            }
            out.section(0, dylink);
        }

        ByteWriter types = new ByteWriter();
        types.u32(6);
        functype(types, new int[] {0x7F, 0x7F}, new int[] {0x7F}); // t0 (i32,i32)->i32
        functype(types, new int[] {}, new int[] {0x7F}); // t1 ()->i32
        functype(types, new int[] {}, new int[] {}); // t2 ()->()
        functype(types, new int[] {0x7F}, new int[] {0x7F}); // t3 (i32)->i32
        functype(types, new int[] {}, new int[] {0x7F, 0x7F}); // t4 ()->(i32,i32)
        functype(types, new int[] {0x7F, 0x7F, 0x7F}, new int[] {0x7F}); // t5 (i32,i32,i32)->i32
        out.section(1, types);

        ByteWriter imports = new ByteWriter();
        int count = extraGotMem == null ? 10 : 11;
        imports.u32(count);
        imports.name("env").name("memory").u8(2).u8(0).u32(1);
        imports.name("env").name("__indirect_function_table").u8(1).u8(0x70).u8(0).u32(1);
        imports.name("env").name("__memory_base").u8(3).u8(0x7F).u8(0); // g0
        imports.name("env").name("__table_base").u8(3).u8(0x7F).u8(0); // g1
        imports.name("GOT.func").name("cmp_desc").u8(3).u8(0x7F).u8(1); // g2
        imports.name("GOT.mem").name("stdout").u8(3).u8(0x7F).u8(1); // g3
        if (extraGotMem != null) {
            imports.name("GOT.mem").name(extraGotMem).u8(3).u8(0x7F).u8(1); // g4
        }
        imports.name("env").name("host_answer").u8(0).u32(1); // f0
        imports.name("env").name("undefined_function").u8(0).u32(1); // f1
        imports.name("env").name("strlen").u8(0).u32(3); // f2
        imports.name("env").name("getTempRet0").u8(0).u32(1); // f3
        out.section(2, imports);

        int[] funcTypes = {0, 1, 1, 2, 2, 3, 1, 5, 1};
        ByteWriter funcs = new ByteWriter();
        funcs.u32(funcTypes.length);
        for (int t : funcTypes) {
            funcs.u32(t);
        }
        out.section(3, funcs);

        int importedGlobals = extraGotMem == null ? 4 : 5;
        ByteWriter globals = new ByteWriter();
        globals.u32(1);
        globals.u8(0x7F).u8(0).u8(0x41).signed(0).u8(0x0B); // "counter" = offset 0 in our data
        out.section(6, globals);

        String[] names = {
            "cmp_desc",
            "answer",
            "call_undefined",
            "__wasm_apply_data_relocs",
            "__wasm_call_ctors",
            "my_strlen",
            "sum_pair",
            "call_via_table",
            "temp_ret"
        };
        ByteWriter exports = new ByteWriter();
        exports.u32(names.length + 1);
        for (int i = 0; i < names.length; i++) {
            exports.name(names[i]).u8(0).u32(FIRST_DEFINED + i);
        }
        exports.name("counter").u8(3).u32(importedGlobals);
        out.section(7, exports);

        ByteWriter elem = new ByteWriter();
        elem.u32(1).u32(0).u8(0x23).u32(1).u8(0x0B).u32(1).u32(FIRST_DEFINED);
        out.section(9, elem);

        ByteWriter code = new ByteWriter();
        byte[][] bodies = {
            // cmp_desc(a, b) = *b - *a
            {0x00, 0x20, 0x01, 0x28, 0x02, 0x00, 0x20, 0x00, 0x28, 0x02, 0x00, 0x6B, 0x0B},
            // answer() = host_answer()
            {0x00, 0x10, 0x00, 0x0B},
            // call_undefined() = undefined_function()
            {0x00, 0x10, 0x01, 0x0B},
            // __wasm_apply_data_relocs: *(__memory_base + 4) = GOT.func.cmp_desc
            {0x00, 0x23, 0x00, 0x23, 0x02, 0x36, 0x02, 0x04, 0x0B},
            // __wasm_call_ctors: *(__memory_base + 8) += 1
            {
                0x00, 0x23, 0x00, 0x23, 0x00, 0x28, 0x02, 0x08, 0x41, 0x01, 0x6A, 0x36, 0x02, 0x08,
                0x0B
            },
            // my_strlen(p) = strlen(p)
            {0x00, 0x20, 0x00, 0x10, 0x02, 0x0B},
            // sum_pair() = block (type 4) { 40, 2 } i32.add
            {0x00, 0x02, 0x04, 0x41, 0x28, 0x41, 0x02, 0x0B, 0x6A, 0x0B},
            // call_via_table(slot, a, b) = call_indirect (type 0) (a, b, slot)
            {0x00, 0x20, 0x01, 0x20, 0x02, 0x20, 0x00, 0x11, 0x00, 0x00, 0x0B},
            // temp_ret() = getTempRet0()
            {0x00, 0x10, 0x03, 0x0B},
        };
        code.u32(bodies.length);
        for (byte[] b : bodies) {
            code.u32(b.length).bytes(b);
        }
        out.section(10, code);

        ByteWriter data = new ByteWriter();
        data.u32(1).u32(0).u8(0x23).u32(0).u8(0x0B).u32(4).bytes(new byte[] {42, 0, 0, 0});
        out.section(11, data);
        return out.toByteArray();
    }

    private static void functype(ByteWriter w, int[] params, int[] results) {
        w.u8(0x60).u32(params.length);
        for (int p : params) {
            w.u8(p);
        }
        w.u32(results.length);
        for (int r : results) {
            w.u8(r);
        }
    }
}
