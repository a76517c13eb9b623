package io.pglite.samples.inventory;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Keeps README.md's diff honest: undoes it in the two suite classes (PgliteContainer back to Testcontainers'
 * PostgreSQLContainer, {@code jdbc:tc:pglite:} back to {@code jdbc:tc:postgresql:}), checks how many lines
 * that touched, and compiles the result against this project's test class path. So the suite really is the
 * Docker one with those lines changed. (Running it that way needs Docker: {@code
 * -Dpglite.testcontainers.mode=docker}.)
 */
class UpstreamDiffTest {

    static final Path SOURCES = Path.of("src/test/java/io/pglite/samples/inventory");

    @Test
    void theSuiteIsTheDockerSuiteWithThreeLinesChanged(@TempDir Path out) throws Exception {
        List<File> files = new ArrayList<>();
        int changed = 0;
        for (String name : List.of("InventoryTest.java", "JdbcUrlTest.java")) {
            List<String> lines = Files.readAllLines(SOURCES.resolve(name));
            List<String> upstream = new ArrayList<>();
            for (String line : lines) {
                String u = line
                        .replace("import io.pglite.testcontainers.PgliteContainer;",
                                "import org.testcontainers.containers.PostgreSQLContainer;")
                        .replace("PgliteContainer<", "PostgreSQLContainer<")
                        .replace("\"jdbc:tc:pglite:", "\"jdbc:tc:postgresql:");
                // only code lines count; the javadoc mentions the classes by name
                if (!u.equals(line) && !line.trim().startsWith("*")) {
                    changed++;
                }
                upstream.add(u);
            }
            Path dir = Files.createDirectories(out.resolve("src"));
            Path file = Files.write(dir.resolve(name), upstream);
            files.add(file.toFile());
        }
        // InventoryTest: the import and the @Container field; JdbcUrlTest: the URL
        assertThat(changed).isEqualTo(3);

        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        StringWriter diagnostics = new StringWriter();
        try (StandardJavaFileManager fm = javac.getStandardFileManager(null, null, null)) {
            Iterable<? extends JavaFileObject> units = fm.getJavaFileObjectsFromFiles(files);
            String classPath = System.getProperty("java.class.path");
            boolean ok = javac.getTask(diagnostics, fm, null,
                    List.of("-classpath", classPath, "-d", Files.createDirectories(out.resolve("classes")).toString(),
                            "-proc:none"),
                    null, units).call();
            assertThat(ok).as("javac: %s", diagnostics).isTrue();
        }
        assertThat(out.resolve("classes/io/pglite/samples/inventory/InventoryTest.class")).exists();
    }
}
