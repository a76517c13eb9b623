package io.pglite.wasm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.runtime.WasmRuntimeException;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import org.junit.jupiter.api.Test;

/**
 * The loads and stores compiled code makes: the same bytes as the paged memory's own accessors, at every place
 * in a page and across pages, traps for out-of-bounds addresses, and copy-on-write kept.
 */
class MachineAccessTest {
    private static final int PAGE = Memory.PAGE_SIZE;

    @Test
    void rawAccessIsUsedWhereTheJvmOffersItQuietly() {
        // The fast path this class tests; a JVM of 23 or later (or big-endian) takes the paged memory's own
        // accessors instead, which PagedMemoryTest covers.
        if (Runtime.version().feature() < 23) {
            assertThat(MachineAccess.RAW).isTrue();
        }
    }

    @Test
    void everyWidthReadsWhatThePagedMemoryWroteAndTheOtherWayRound() {
        PagedMemory m = new PagedMemory(new MemoryLimits(3, 3));
        int[] places = {0, 8, 101, PAGE - 8, PAGE - 7, PAGE - 4, PAGE - 3, PAGE - 2, PAGE - 1, PAGE, 2 * PAGE - 5};
        for (int at : places) {
            // through MachineAccess, read back by the memory
            MachineAccess.memoryWriteLong(at / 2, 0x0102030405060708L, at - at / 2, m); // base + offset
            assertThat(m.readLong(at)).as("long at %d", at).isEqualTo(0x0102030405060708L);
            MachineAccess.memoryWriteInt(at, 0xCAFEBABE, 0, m);
            assertThat(m.readInt(at)).as("int at %d", at).isEqualTo(0xCAFEBABE);
            MachineAccess.memoryWriteShort(at, (short) 0xBEEF, 0, m);
            assertThat(m.readShort(at)).as("short at %d", at).isEqualTo((short) 0xBEEF);
            MachineAccess.memoryWriteByte(at, (byte) 0x5A, 0, m);
            assertThat(m.read(at)).as("byte at %d", at).isEqualTo((byte) 0x5A);
            MachineAccess.memoryWriteDouble(at, Math.PI, 0, m);
            assertThat(m.readDouble(at)).isEqualTo(Math.PI);
            MachineAccess.memoryWriteFloat(at, -2.5f, 0, m);
            assertThat(m.readFloat(at)).isEqualTo(-2.5f);
            // written by the memory, read through MachineAccess
            m.writeLong(at, 0x1122334455667788L);
            assertThat(MachineAccess.memoryReadLong(at, 0, m)).isEqualTo(0x1122334455667788L);
            assertThat(MachineAccess.memoryReadInt(at, 0, m)).isEqualTo(0x55667788);
            assertThat(MachineAccess.memoryReadShort(at, 0, m)).isEqualTo((short) 0x7788);
            assertThat(MachineAccess.memoryReadByte(at, 0, m)).isEqualTo((byte) 0x88);
            m.writeF64(at, Math.E);
            assertThat(MachineAccess.memoryReadDouble(at, 0, m)).isEqualTo(Math.E);
            m.writeF32(at, 0.125f);
            assertThat(MachineAccess.memoryReadFloat(at, 0, m)).isEqualTo(0.125f);
        }
    }

    @Test
    void valuesAreLittleEndianAsInWasm() {
        PagedMemory m = new PagedMemory(new MemoryLimits(1, 1));
        MachineAccess.memoryWriteInt(16, 0x01020304, 0, m);
        assertThat(m.readBytes(16, 4)).containsExactly(4, 3, 2, 1);
        m.write(32, new byte[] {1, 2, 3, 4, 5, 6, 7, 8}, 0, 8);
        assertThat(MachineAccess.memoryReadLong(32, 0, m)).isEqualTo(0x0807060504030201L);
    }

    @Test
    void outOfBoundsAddressesTrapInsteadOfReadingOrWritingAnything() {
        PagedMemory m = new PagedMemory(new MemoryLimits(1, 2));
        assertThatThrownBy(() -> MachineAccess.memoryReadInt(PAGE, 0, m)).isInstanceOf(WasmRuntimeException.class)
                .hasMessageContaining("out of bounds");
        assertThatThrownBy(() -> MachineAccess.memoryReadInt(PAGE - 8, 8, m))
                .isInstanceOf(WasmRuntimeException.class);
        assertThatThrownBy(() -> MachineAccess.memoryReadInt(PAGE - 2, 0, m))
                .isInstanceOf(WasmRuntimeException.class);
        assertThatThrownBy(() -> MachineAccess.memoryReadByte(-1, 0, m)).isInstanceOf(WasmRuntimeException.class);
        // a base of 2 GiB or more stays out of range whatever the offset
        assertThatThrownBy(() -> MachineAccess.memoryReadLong(0x80000000, 16, m))
                .isInstanceOf(WasmRuntimeException.class);
        assertThatThrownBy(() -> MachineAccess.memoryWriteInt(PAGE, 1, 0, m)).isInstanceOf(WasmRuntimeException.class);
        assertThatThrownBy(() -> MachineAccess.memoryWriteLong(PAGE - 4, 1L, 0, m))
                .isInstanceOf(WasmRuntimeException.class);
        assertThatThrownBy(() -> MachineAccess.memoryWriteByte(Integer.MIN_VALUE, (byte) 1, 0, m))
                .isInstanceOf(WasmRuntimeException.class);
        assertThat(m.ownedBytes()).isZero(); // nothing was written
        // after growing, the same addresses are memory
        assertThat(m.grow(1)).isEqualTo(1);
        MachineAccess.memoryWriteInt(PAGE, 7, 0, m);
        assertThat(MachineAccess.memoryReadInt(PAGE, 0, m)).isEqualTo(7);
    }

    @Test
    void aStoreIntoASharedPageCopiesItFirst() {
        PagedMemory original = new PagedMemory(new MemoryLimits(2, 2));
        original.writeLong(PAGE + 64, 42L);
        MemoryImage image = original.image();
        PagedMemory a = PagedMemory.restored(new MemoryLimits(2, 2), image);
        PagedMemory b = PagedMemory.restored(new MemoryLimits(2, 2), image);
        MachineAccess.memoryWriteLong(PAGE + 64, 7L, 0, a);
        MachineAccess.memoryWriteInt(PAGE + 128, 9, 0, a);
        MachineAccess.memoryWriteByte(16, (byte) 1, 0, a);
        assertThat(MachineAccess.memoryReadLong(PAGE + 64, 0, a)).isEqualTo(7L);
        assertThat(MachineAccess.memoryReadLong(PAGE + 64, 0, b)).isEqualTo(42L);
        assertThat(MachineAccess.memoryReadInt(PAGE + 128, 0, b)).isZero();
        assertThat(MachineAccess.memoryReadByte(16, 0, b)).isZero();
        assertThat(original.readLong(PAGE + 64)).isEqualTo(42L);
        assertThat(PagedMemory.restored(new MemoryLimits(2, 2), image).readLong(PAGE + 64)).isEqualTo(42L);
    }
}
