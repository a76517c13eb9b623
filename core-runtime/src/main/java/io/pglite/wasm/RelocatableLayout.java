package io.pglite.wasm;

/**
 * Where the Emscripten loader places a relocatable main module ({@code -sMAIN_MODULE} built as position
 * independent code, as in PGlite 0.4.x): the values it gives the module's imported globals and the size of the
 * function table it creates for it. Modules of PGlite 0.5.x define these themselves and need no layout.
 *
 * <p>The values are the loader's (the {@code new WebAssembly.Global(...)} and {@code new WebAssembly.Table(...)}
 * calls in the package's JavaScript glue); they are not in the wasm file: the stack size is a link option.
 *
 * @param memoryBase {@code env.__memory_base}: where the module's data segments start (immutable)
 * @param tableBase {@code env.__table_base}: where its element segments start in the table (immutable)
 * @param stackPointer initial {@code env.__stack_pointer} (the top of the stack; the stack grows down)
 * @param heapBase initial {@code GOT.mem.__heap_base} (the start of the heap, above the stack)
 * @param tableSize initial size of the imported {@code env.__indirect_function_table}
 */
public record RelocatableLayout(int memoryBase, int tableBase, int stackPointer, int heapBase, int tableSize) {

    /** Checks that the values describe a usable layout. */
    public RelocatableLayout {
        if (memoryBase < 0 || tableBase < 0 || tableSize <= tableBase || stackPointer <= memoryBase
                || heapBase < stackPointer) {
            throw new IllegalArgumentException("inconsistent layout: memoryBase=" + memoryBase + " tableBase="
                    + tableBase + " stackPointer=" + stackPointer + " heapBase=" + heapBase + " tableSize="
                    + tableSize);
        }
    }
}
