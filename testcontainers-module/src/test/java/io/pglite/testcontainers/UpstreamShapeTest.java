package io.pglite.testcontainers;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The drop-in claim, checked by the compiler: the user-style test classes of this module, with
 * {@code PgliteContainer} renamed back to Testcontainers' {@code PostgreSQLContainer} (and the import changed),
 * compile against the Testcontainers on the classpath (2.0.x, and 1.21.x in the second test run). So the two
 * versions of each class differ in the class name only.
 */
class UpstreamShapeTest {

    @ParameterizedTest
    @ValueSource(strings = {"UserSuiteTest", "SpringBootServiceConnectionTest", "SpringBootBeanServiceConnectionTest"})
    void theTestClassCompilesWithPostgreSQLContainer(String testClass, @TempDir Path out) throws IOException {
        Path source = Path.of("src/test/java/io/pglite/testcontainers/" + testClass + ".java");
        String upstream = Files.readString(source)
                .replace("package io.pglite.testcontainers;", "package io.pglite.testcontainers.upstream;\n\n"
                        + "import io.pglite.testcontainers.InitFunctions;\n"
                        + "import io.pglite.testcontainers.Sql;\n"
                        + "import org.testcontainers.containers.PostgreSQLContainer;")
                .replace("PgliteContainer", "PostgreSQLContainer");
        assertThat(upstream).doesNotContain("Pglite");
        Path file = out.resolve("src/io/pglite/testcontainers/upstream/" + testClass + ".java");
        Files.createDirectories(file.getParent());
        Files.writeString(file, upstream);

        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
        try (StandardJavaFileManager files = javac.getStandardFileManager(diagnostics, null, null)) {
            List<String> options = new ArrayList<>(List.of("-proc:none", "-d", out.toString(), "-classpath",
                    System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"))));
            boolean ok = javac.getTask(null, files, diagnostics, options, null, files.getJavaFileObjects(file)).call();
            assertThat(ok).as("%s with PostgreSQLContainer compiles: %s", testClass, diagnostics.getDiagnostics())
                    .isTrue();
        }
    }
}
