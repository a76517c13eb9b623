package io.pglite.fs;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class PagedContentTest {

    private static byte[] read(PagedContent c, long pos, int len) {
        byte[] b = new byte[len];
        int n = c.read(pos, b, 0, len);
        return Arrays.copyOf(b, n);
    }

    @Test
    void writesAcrossPageBoundariesReadBack() {
        PagedContent c = new PagedContent();
        byte[] data = new byte[3 * PagedContent.PAGE_SIZE + 123];
        new Random(1).nextBytes(data);
        c.write(PagedContent.PAGE_SIZE - 7, data, 0, data.length);
        assertThat(c.size()).isEqualTo(PagedContent.PAGE_SIZE - 7 + data.length);
        assertThat(read(c, PagedContent.PAGE_SIZE - 7, data.length)).isEqualTo(data);
        assertThat(read(c, 0, 10)).containsOnly(0);
    }

    @Test
    void zeroWritesIntoHolesAllocateNothing() {
        PagedContent c = new PagedContent();
        byte[] zeros = new byte[1 << 20];
        for (int i = 0; i < 16; i++) {
            c.write((long) i << 20, zeros, 0, zeros.length);
        }
        assertThat(c.size()).isEqualTo(16L << 20);
        assertThat(c.allocatedBytes()).isZero();
        byte[] one = {42};
        c.write(5_000_000, one, 0, 1);
        assertThat(c.allocatedBytes()).isLessThanOrEqualTo(PagedContent.PAGE_SIZE);
        assertThat(read(c, 5_000_000, 1)).containsExactly(42);
    }

    @Test
    void smallFilesUseShortPages() {
        PagedContent c = new PagedContent();
        byte[] page = new byte[8192];
        Arrays.fill(page, (byte) 1);
        c.write(0, page, 0, page.length);
        assertThat(c.allocatedBytes()).isEqualTo(8192);
        c.write(8192, page, 0, page.length);
        assertThat(c.allocatedBytes()).isEqualTo(16384);
        assertThat(read(c, 0, 16384)).containsOnly(1);
    }

    @Test
    void truncateThenGrowExposesZeros() {
        PagedContent c = new PagedContent();
        byte[] ones = new byte[100_000];
        Arrays.fill(ones, (byte) 1);
        c.write(0, ones, 0, ones.length);
        c.truncate(70_000);
        c.truncate(100_000);
        assertThat(read(c, 0, 70_000)).containsOnly(1);
        assertThat(read(c, 70_000, 30_000)).containsOnly(0);
    }

    @Test
    void copyIsCopyOnWriteInBothDirections() {
        PagedContent a = new PagedContent();
        byte[] data = new byte[200_000];
        new Random(2).nextBytes(data);
        a.write(0, data, 0, data.length);
        PagedContent b = a.copy();
        assertThat(b.allocatedBytes()).isZero();

        byte[] x = {9, 9, 9};
        b.write(10, x, 0, 3);
        assertThat(b.allocatedBytes()).isEqualTo(PagedContent.PAGE_SIZE);
        assertThat(read(a, 0, data.length)).isEqualTo(data);
        assertThat(read(b, 10, 3)).containsExactly(9, 9, 9);

        a.write(150_000, x, 0, 3);
        assertThat(read(b, 150_000, 3)).containsExactly(Arrays.copyOfRange(data, 150_000, 150_003));
        b.truncate(5);
        assertThat(a.size()).isEqualTo(data.length);
        assertThat(read(a, 0, 5)).containsExactly(Arrays.copyOf(data, 5));
    }

    @Test
    void readBeyondEndReturnsZeroBytes() {
        PagedContent c = new PagedContent();
        c.write(0, new byte[]{1, 2, 3}, 0, 3);
        byte[] buf = new byte[10];
        assertThat(c.read(3, buf, 0, 10)).isZero();
        assertThat(c.read(1, buf, 0, 10)).isEqualTo(2);
    }
}
