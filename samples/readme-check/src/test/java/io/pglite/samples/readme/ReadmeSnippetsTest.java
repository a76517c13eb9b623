package io.pglite.samples.readme;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import java.io.File;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.codehaus.groovy.control.CompilationUnit;
import org.codehaus.groovy.control.CompilerConfiguration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Events;

/**
 * The quick starts of the top README.md, as a user would paste them into a project: every snippet marked
 * {@code <!-- snippet: java|groovy ClassName -->} is compiled against this module's class path (the published
 * artifacts), and those that need nothing but a {@code schema.sql} are run.
 */
class ReadmeSnippetsTest {
    private static final Pattern SNIPPET = Pattern.compile(
            "<!-- snippet: (java|groovy) (\\w+) -->\\s*```(?:java|groovy)\\n(.*?)```", Pattern.DOTALL);
    private static final String SCHEMA = "CREATE TABLE note (id serial PRIMARY KEY, body text NOT NULL);\n";

    @TempDir
    static Path dir;
    private static Map<String, String[]> snippets;
    private static URLClassLoader loader;

    @BeforeAll
    static void compile() throws Exception {
        String readme = Files.readString(Path.of(System.getProperty("readme", "../../README.md")));
        snippets = new LinkedHashMap<>();
        Matcher m = SNIPPET.matcher(readme);
        while (m.find()) {
            snippets.put(m.group(2), new String[] {m.group(1), m.group(3)});
        }
        String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        Path out = Files.createDirectories(dir.resolve("classes"));
        List<String> javaFiles = new ArrayList<>();
        CompilerConfiguration groovyConfig = new CompilerConfiguration();
        groovyConfig.setClasspathList(List.of(classPath.split(File.pathSeparator)));
        groovyConfig.setTargetDirectory(out.toFile());
        CompilationUnit groovy = new CompilationUnit(groovyConfig);
        boolean anyGroovy = false;
        for (Map.Entry<String, String[]> e : snippets.entrySet()) {
            Path src = dir.resolve("src").resolve(e.getKey() + "." + e.getValue()[0]);
            Files.createDirectories(src.getParent());
            Files.writeString(src, e.getValue()[1]);
            if (e.getValue()[0].equals("java")) {
                javaFiles.add(src.toString());
            } else {
                groovy.addSource(src.toFile());
                anyGroovy = true;
            }
        }
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        List<String> args = new ArrayList<>(List.of("-classpath", classPath, "-d", out.toString(), "-proc:none"));
        args.addAll(javaFiles);
        java.io.ByteArrayOutputStream errors = new java.io.ByteArrayOutputStream();
        int rc = javac.run(null, errors, errors, args.toArray(String[]::new));
        assertEquals(0, rc, "README Java snippets do not compile:\n" + errors.toString(StandardCharsets.UTF_8));
        if (anyGroovy) {
            groovy.compile(); // throws with the compiler's messages if a snippet does not compile
        }
        Files.writeString(out.resolve("schema.sql"), SCHEMA);
        loader = new URLClassLoader(new URL[] {out.toUri().toURL()}, ReadmeSnippetsTest.class.getClassLoader());
    }

    @Test
    void theReadmeHasAQuickStartForEachEntryPoint() {
        assertTrue(snippets.keySet().containsAll(List.of("NoteRepositoryTest", "AccountServiceTest", "OrdersTest",
                "NoteSpec", "EmbeddingsTest")), "snippets found: " + snippets.keySet());
    }

    private static Events run(String engine, String className) throws ClassNotFoundException {
        Thread t = Thread.currentThread();
        ClassLoader previous = t.getContextClassLoader();
        t.setContextClassLoader(loader); // init scripts are found through the context class loader too
        try {
            return EngineTestKit.engine(engine).selectors(selectClass(loader.loadClass(className))).execute()
                    .testEvents();
        } finally {
            t.setContextClassLoader(previous);
        }
    }

    private static void assertPassed(Events events, int tests) {
        events.failed().stream().forEach(e -> e.getPayload(org.junit.platform.engine.TestExecutionResult.class)
                .flatMap(org.junit.platform.engine.TestExecutionResult::getThrowable)
                .ifPresent(Throwable::printStackTrace));
        events.assertStatistics(s -> s.failed(0).succeeded(tests));
    }

    @Test
    void theJunitQuickStartRuns() throws Exception {
        assertPassed(run("junit-jupiter", "NoteRepositoryTest"), 2);
    }

    @Test
    void thePostgres17PgvectorQuickStartRuns() throws Exception {
        assertPassed(run("junit-jupiter", "EmbeddingsTest"), 1);
    }

    @Test
    void theTestcontainersQuickStartRuns() throws Exception {
        assertPassed(run("junit-jupiter", "OrdersTest"), 1);
    }

    @Test
    void theSpockQuickStartRuns() throws Exception {
        // The data-driven feature reports itself and its two iterations.
        assertPassed(run("spock", "NoteSpec"), 3);
    }

    @Test
    void theSpringBootQuickStartCompiles() throws Exception {
        // Running it needs the user's @SpringBootApplication; compiling it against the artifacts is the check.
        assertTrue(loader.loadClass("AccountServiceTest").isAnnotationPresent(
                org.springframework.boot.test.context.SpringBootTest.class));
    }
}
