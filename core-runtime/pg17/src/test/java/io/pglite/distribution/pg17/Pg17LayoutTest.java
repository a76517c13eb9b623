package io.pglite.distribution.pg17;

import static org.assertj.core.api.Assertions.assertThat;

import io.pglite.wasm.RelocatableLayout;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The loader values the host gives PGlite 0.4.5's relocatable modules are the ones its JavaScript glue uses. */
class Pg17LayoutTest {

    private static final Path DIST = Path.of(System.getProperty("pglite.npm.dir"), "package", "dist");

    @Test
    void backendLayoutMatchesPgliteJs() throws IOException {
        check(Pg17DistributionProvider.PGLITE_LAYOUT, Files.readString(DIST.resolve("pglite.js")));
    }

    @Test
    void initdbLayoutMatchesInitdbJs() throws IOException {
        check(Pg17DistributionProvider.INITDB_LAYOUT, Files.readString(DIST.resolve("initdb.js")));
    }

    private static void check(RelocatableLayout layout, String glue) {
        assertThat(number(glue, "___memory_base=new WebAssembly\\.Global\\(\\{value:\"i32\",mutable:false\\},(\\d+)\\)"))
                .isEqualTo(layout.memoryBase());
        assertThat(number(glue, "___table_base=new WebAssembly\\.Global\\(\\{value:\"i32\",mutable:false\\},(\\d+)\\)"))
                .isEqualTo(layout.tableBase());
        assertThat(number(glue, "___stack_pointer=new WebAssembly\\.Global\\(\\{value:\"i32\",mutable:true\\},(\\d+)\\)"))
                .isEqualTo(layout.stackPointer());
        assertThat(number(glue, "var ___heap_base=(\\d+);")).isEqualTo(layout.heapBase());
        assertThat(number(glue, "new WebAssembly\\.Table\\(\\{initial:(\\d+),element:\"anyfunc\"\\}\\)"))
                .isEqualTo(layout.tableSize());
    }

    private static int number(String glue, String regex) {
        Matcher m = Pattern.compile(regex).matcher(glue);
        assertThat(m.find()).as(regex).isTrue();
        return Integer.parseInt(m.group(1));
    }
}
