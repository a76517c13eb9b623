package io.pglite.wasm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.runtime.WasmRuntimeException;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The copy-on-write paged linear memory. */
class PagedMemoryTest {
    private static final int PAGE = Memory.PAGE_SIZE;

    @Test
    void readsAndWritesAllWidthsAcrossPageBoundaries() {
        PagedMemory m = new PagedMemory(new MemoryLimits(2, 4));
        for (int at : new int[] {0, 100, PAGE - 1, PAGE - 3, PAGE - 7}) {
            m.writeLong(at, 0x0102030405060708L);
            assertThat(m.readLong(at)).isEqualTo(0x0102030405060708L);
            m.writeI32(at, 0xCAFEBABE);
            assertThat(m.readInt(at)).isEqualTo(0xCAFEBABE);
            m.writeShort(at, (short) 0xBEEF);
            assertThat(m.readShort(at)).isEqualTo((short) 0xBEEF);
            m.writeF64(at, Math.PI);
            assertThat(m.readDouble(at)).isEqualTo(Math.PI);
            m.writeF32(at, 2.5f);
            assertThat(m.readFloat(at)).isEqualTo(2.5f);
        }
        m.writeI32(PAGE - 2, 0x11223344);
        assertThat(m.read(PAGE - 2)).isEqualTo((byte) 0x44);
        assertThat(m.read(PAGE + 1)).isEqualTo((byte) 0x11);
    }

    @Test
    void untouchedPagesReadAsZeroAndCostNothing() {
        PagedMemory m = new PagedMemory(new MemoryLimits(100, 200));
        assertThat(m.readLong(50 * PAGE + 8)).isZero();
        assertThat(m.ownedBytes()).isZero();
        assertThat(m.grow(50)).isEqualTo(100);
        assertThat(m.readInt(149 * PAGE)).isZero();
        m.fill((byte) 0, 0, 150 * PAGE); // zeroing zero pages copies nothing
        assertThat(m.ownedBytes()).isZero();
        m.writeByte(3 * PAGE + 5, (byte) 1);
        assertThat(m.ownedBytes()).isEqualTo(PAGE);
    }

    @Test
    void outOfBoundsAccessIsAWasmTrapNotAJavaException() {
        PagedMemory m = new PagedMemory(new MemoryLimits(1, 2));
        assertThatThrownBy(() -> m.readInt(PAGE)).isInstanceOf(WasmRuntimeException.class)
                .hasMessageContaining("out of bounds");
        assertThatThrownBy(() -> m.writeI32(PAGE, 1)).isInstanceOf(WasmRuntimeException.class);
        assertThatThrownBy(() -> m.writeI32(PAGE - 2, 1)).isInstanceOf(WasmRuntimeException.class);
        assertThatThrownBy(() -> m.readLong(-8)).isInstanceOf(WasmRuntimeException.class);
        assertThatThrownBy(() -> m.write(PAGE - 1, new byte[2], 0, 2)).isInstanceOf(WasmRuntimeException.class);
        assertThat(m.grow(2)).isEqualTo(-1);
        assertThat(m.grow(1)).isEqualTo(1);
        m.writeI32(PAGE, 7);
        assertThat(m.readInt(PAGE)).isEqualTo(7);
    }

    @Test
    void copyHandlesOverlapInBothDirectionsAcrossPages() {
        PagedMemory m = new PagedMemory(new MemoryLimits(3, 3));
        byte[] data = new byte[PAGE + 1000];
        new Random(1).nextBytes(data);
        m.write(500, data, 0, data.length);
        m.copy(700, 500, data.length); // destination after source, overlapping
        assertThat(m.readBytes(700, data.length)).isEqualTo(data);
        m.copy(600, 700, data.length); // destination before source, overlapping
        assertThat(m.readBytes(600, data.length)).isEqualTo(data);
    }

    @Test
    void restoredMemoriesShareTheImageAndNeverSeeEachOthersWrites() {
        PagedMemory source = new PagedMemory(new MemoryLimits(4, 8));
        source.writeLong(10, 42L);
        source.writeLong(3 * PAGE + 10, 43L);
        MemoryImage image = source.image();
        assertThat(image.pageCount()).isEqualTo(4);
        assertThat(image.nonZeroPageCount()).isEqualTo(2);

        // The source goes on running; the image keeps what it had when taken.
        source.writeLong(10, 1L);
        assertThat(image.sameBytesAs(source)).isFalse();

        MemoryLimits limits = new MemoryLimits(4, 8);
        PagedMemory a = PagedMemory.restored(limits, image);
        PagedMemory b = PagedMemory.restored(limits, image);
        assertThat(a.ownedBytes()).isZero();
        assertThat(a.readLong(10)).isEqualTo(42L);
        a.writeLong(10, 100L);
        a.writeLong(PAGE + 1, 7L);
        b.fill((byte) 9, 3 * PAGE, 4 * PAGE);
        assertThat(a.readLong(10)).isEqualTo(100L);
        assertThat(b.readLong(10)).isEqualTo(42L);
        assertThat(b.readLong(PAGE + 1)).isZero();
        assertThat(a.readLong(3 * PAGE + 10)).isEqualTo(43L);
        assertThat(b.read(3 * PAGE + 10)).isEqualTo((byte) 9);
        assertThat(a.ownedBytes()).isEqualTo(2L * PAGE);

        PagedMemory fresh = PagedMemory.restored(limits, image);
        assertThat(image.sameBytesAs(fresh)).isTrue();
        a.resetTo(image);
        assertThat(image.sameBytesAs(a)).isTrue();
        assertThat(a.ownedBytes()).isZero();
    }

    @Test
    void anImageLargerThanTheLimitIsRefused() {
        PagedMemory source = new PagedMemory(new MemoryLimits(4, 8));
        MemoryImage image = source.image();
        assertThatThrownBy(() -> PagedMemory.restored(new MemoryLimits(1, 3), image))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("maximum");
    }
}
