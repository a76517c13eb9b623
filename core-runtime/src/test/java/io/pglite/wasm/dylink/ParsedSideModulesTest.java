package io.pglite.wasm.dylink;

import static org.assertj.core.api.Assertions.assertThat;

import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.ValType;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Side modules rewritten and parsed once per JVM for registries in the same state. */
class ParsedSideModulesTest {

    private static List<FunctionType> mainTypes() {
        return Arrays.asList(MainInstances.module().typeSection().types());
    }

    /** pgcrypto's side module, from its extension bundle: large enough that parsing it shows. */
    private static byte[] pgcrypto() {
        return io.pglite.distribution.ExtensionBundle.read(io.pglite.distribution.Distribution.pg18(), "pgcrypto")
                .files().stream().filter(f -> f.path().endsWith("/pgcrypto.so")).findFirst().orElseThrow()
                .content();
    }

    @Test
    void aRegistryInTheSameStateGetsTheSameModuleAndEndsInTheSameState() {
        byte[] pgcrypto = pgcrypto();
        TypeRegistry first = new TypeRegistry(mainTypes());
        TypeRegistry second = new TypeRegistry(mainTypes());

        WasmModule a = ParsedSideModules.rewriteAndParse(pgcrypto, first);
        WasmModule b = ParsedSideModules.rewriteAndParse(pgcrypto, second);

        assertThat(b).isSameAs(a);
        assertThat(second.snapshot()).isEqualTo(first.snapshot());
        assertThat(second.state()).isEqualTo(first.state());
        // What a fresh rewrite would have produced: the cached module's type section is the registry's.
        assertThat(Arrays.asList(b.typeSection().types())).isEqualTo(second.snapshot());
    }

    @Test
    void aRegistryInAnotherStateGetsItsOwnRewrite() {
        byte[] pgcrypto = pgcrypto();
        TypeRegistry plain = new TypeRegistry(mainTypes());
        TypeRegistry other = new TypeRegistry(mainTypes());
        // A signature appended by an earlier load makes the registry's state differ.
        other.intern(FunctionType.of(List.of(ValType.F64, ValType.F64, ValType.F64, ValType.I64), List.of(ValType.F32)));

        WasmModule a = ParsedSideModules.rewriteAndParse(pgcrypto, plain);
        WasmModule b = ParsedSideModules.rewriteAndParse(pgcrypto, other);

        assertThat(b).isNotSameAs(a);
        assertThat(Arrays.asList(b.typeSection().types())).isEqualTo(other.snapshot());
    }
}
