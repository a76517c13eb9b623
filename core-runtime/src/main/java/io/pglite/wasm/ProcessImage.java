package io.pglite.wasm;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The wasm-level state of a running {@link EmscriptenProcess}, captured so that new processes of the same
 * module can continue from it instead of starting the program again: the linear memory, every global, the
 * function table's size, and the host's own per-process state (monotonic clock, umask, strings allocated
 * for the program).
 *
 * <p>Not included, because the host recreates them the same way: the function table's contents (the
 * module's element segments, plus host callbacks that the caller adds again in the same order; compare
 * {@link #tableSize()} afterwards), and the filesystem view (see {@code VirtualFileSystem.snapshot()}).
 * Side modules loaded with {@code dlopen} are not captured: a process that loaded any cannot be imaged.
 *
 * @param memory the linear memory
 * @param globalsLow low 64 bits of every global, by index
 * @param globalsHigh high 64 bits of every global (v128), by index
 * @param tableSize size of {@code __indirect_function_table} when captured
 * @param monotonicNanos the process's monotonic clock when captured
 * @param umask the process's umask
 * @param persistentStrings strings the host allocated in the program's heap, by content
 */
public record ProcessImage(MemoryImage memory, long[] globalsLow, long[] globalsHigh, int tableSize,
        long monotonicNanos, int umask, Map<String, Integer> persistentStrings) {
    /** Copies the arrays and the map so that the image stays immutable. */
    public ProcessImage {
        globalsLow = globalsLow.clone();
        globalsHigh = globalsHigh.clone();
        persistentStrings = Map.copyOf(persistentStrings);
    }

    /**
     * Writes the image (for a snapshot kept on disk).
     *
     * @param out the destination
     * @throws IOException if writing fails
     */
    public void writeTo(DataOutput out) throws IOException {
        out.writeInt(globalsLow.length);
        for (int i = 0; i < globalsLow.length; i++) {
            out.writeLong(globalsLow[i]);
            out.writeLong(globalsHigh[i]);
        }
        out.writeInt(tableSize);
        out.writeLong(monotonicNanos);
        out.writeInt(umask);
        out.writeInt(persistentStrings.size());
        for (Map.Entry<String, Integer> e : persistentStrings.entrySet()) {
            out.writeUTF(e.getKey());
            out.writeInt(e.getValue());
        }
        memory.writeTo(out);
    }

    /**
     * Reads an image written by {@link #writeTo}.
     *
     * @param in the source
     * @return the image
     * @throws IOException if reading fails or the data is malformed
     */
    public static ProcessImage readFrom(DataInput in) throws IOException {
        int n = in.readInt();
        if (n < 0 || n > 1_000_000) {
            throw new IOException("malformed process image: " + n + " globals");
        }
        long[] low = new long[n];
        long[] high = new long[n];
        for (int i = 0; i < n; i++) {
            low[i] = in.readLong();
            high[i] = in.readLong();
        }
        int tableSize = in.readInt();
        long nanos = in.readLong();
        int umask = in.readInt();
        int strings = in.readInt();
        if (strings < 0 || strings > 1_000_000) {
            throw new IOException("malformed process image: " + strings + " strings");
        }
        Map<String, Integer> persistent = new LinkedHashMap<>();
        for (int i = 0; i < strings; i++) {
            persistent.put(in.readUTF(), in.readInt());
        }
        return new ProcessImage(MemoryImage.readFrom(in), low, high, tableSize, nanos, umask, persistent);
    }

    @Override
    public long[] globalsLow() {
        return globalsLow.clone();
    }

    @Override
    public long[] globalsHigh() {
        return globalsHigh.clone();
    }
}
