package io.pglite.wasm.dylink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.runtime.TableInstance;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.ValType;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class HostFunctionTableTest {

    private static final FunctionType CMP =
            FunctionType.of(List.of(ValType.I32, ValType.I32), List.of(ValType.I32));

    @Test
    void javaComparatorInTheTableSortsThroughPgQsort() {
        Instance main = MainInstances.newInstance();
        Memory mem = main.memory();
        AtomicInteger calls = new AtomicInteger();
        HostFunctionTable host = new HostFunctionTable(main);
        int slot =
                host.add(
                        "int_cmp",
                        CMP,
                        (inst, args) -> {
                            calls.incrementAndGet();
                            int a = mem.readInt((int) args[0]);
                            int b = mem.readInt((int) args[1]);
                            return new long[] {Integer.compare(a, b)};
                        });

        int[] values = {42, -7, 19, 0, 1_000_000, 3, 3, -12};
        int base = MainInstances.malloc(main, values.length * 4);
        for (int i = 0; i < values.length; i++) {
            mem.writeI32(base + i * 4, values[i]);
        }
        main.export("pg_qsort").apply(base, values.length, 4, slot);

        int[] sorted = new int[values.length];
        for (int i = 0; i < values.length; i++) {
            sorted[i] = mem.readInt(base + i * 4);
        }
        assertThat(sorted).containsExactly(-12, -7, 0, 3, 3, 19, 42, 1_000_000);
        assertThat(calls.get()).isPositive();
    }

    @Test
    void batchGetsConsecutiveSlotsOwnedByTheHelperWithMainsTypeIndices() {
        Instance main = MainInstances.newInstance();
        TableInstance table = HostFunctionTable.mainTable(main);
        int sizeBefore = table.size();
        FunctionType rw = CMP; // read_cb/write_cb: (ptr, len) -> int
        FunctionType odd = FunctionType.of(List.of(ValType.F64, ValType.F32), List.of(ValType.F64));
        TypeRegistry types = TypeRegistry.of(main);
        assertThat(types.indexOf(odd)).isEqualTo(-1);

        HostFunctionTable host = new HostFunctionTable(main);
        int[] slots =
                host.addAll(
                        List.of(
                                new HostFunctionTable.Entry("read_cb", rw, (i, a) -> new long[] {7}),
                                new HostFunctionTable.Entry("write_cb", rw, (i, a) -> new long[] {a[1]}),
                                new HostFunctionTable.Entry(
                                        "odd",
                                        odd,
                                        (i, a) ->
                                                new long[] {
                                                    Double.doubleToRawLongBits(
                                                            Double.longBitsToDouble(a[0])
                                                                    + Float.intBitsToFloat((int) a[1]))
                                                })));

        assertThat(slots).containsExactly(sizeBefore, sizeBefore + 1, sizeBefore + 2);
        Instance helper = table.instance(slots[0]);
        assertThat(helper).isNotNull().isNotSameAs(main);
        assertThat(table.instance(slots[2])).isSameAs(helper);
        // helper function types use main's indices; the new signature was appended after them
        assertThat(helper.functionType(table.ref(slots[0]))).isEqualTo(types.indexOf(rw)).isEqualTo(1);
        assertThat(helper.functionType(table.ref(slots[2])))
                .isEqualTo(types.indexOf(odd))
                .isGreaterThanOrEqualTo(types.prefixSize());

        assertThat(IndirectCalls.call(table, main, slots[0], 100, 8192)).containsExactly(7);
        assertThat(IndirectCalls.call(table, main, slots[1], 100, 8192)).containsExactly(8192);
        long r =
                IndirectCalls.call(
                        table,
                        main,
                        slots[2],
                        Double.doubleToRawLongBits(1.5),
                        Float.floatToRawIntBits(2.25f))[0];
        assertThat(Double.longBitsToDouble(r)).isEqualTo(3.75);
    }

    @Test
    void privateTableFactoryKeepsTheParsedModulesTableLimits() {
        var limits = MainInstances.module().tableSection().getTable(0).limits();

        Instance isolated = MainInstances.newInstance(java.util.Map.of(), true);
        long before = limits.min();
        new HostFunctionTable(isolated).add("f", CMP, (inst, args) -> new long[] {0});
        assertThat(limits.min()).isEqualTo(before);
        Instance next = MainInstances.newInstance(java.util.Map.of(), true);
        assertThat(HostFunctionTable.mainTable(next).size()).isEqualTo(before);

        // Chicory's default table instance shares the module's limits and grows them
        Instance shared = MainInstances.newInstance(java.util.Map.of(), false);
        new HostFunctionTable(shared).add("f", CMP, (inst, args) -> new long[] {0});
        assertThat(limits.min()).isEqualTo(before + 1);
    }

    @Test
    void exceptionFromHostFunctionReachesTheJavaCallerAndInstanceStaysUsable() {
        Instance main = MainInstances.newInstance();
        HostFunctionTable host = new HostFunctionTable(main);
        int failing =
                host.add(
                        "boom",
                        CMP,
                        (inst, args) -> {
                            throw new IllegalStateException("unwind from comparator");
                        });
        int base = MainInstances.malloc(main, 16);
        for (int i = 0; i < 4; i++) {
            main.memory().writeI32(base + 4 * i, 4 - i);
        }
        assertThatThrownBy(() -> main.export("pg_qsort").apply(base, 4, 4, failing))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("unwind from comparator");

        Memory mem = main.memory();
        int ok =
                host.add(
                        "cmp",
                        CMP,
                        (inst, a) ->
                                new long[] {
                                    Integer.compare(mem.readInt((int) a[0]), mem.readInt((int) a[1]))
                                });
        main.export("pg_qsort").apply(base, 4, 4, ok);
        assertThat(mem.readInt(base)).isEqualTo(1);
        assertThat(mem.readInt(base + 12)).isEqualTo(4);
    }
}
