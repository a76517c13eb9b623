package io.pglite.testcontainers;

import io.pglite.cluster.ClusterException;
import io.pglite.cluster.TemplateSetup;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.testcontainers.ext.ScriptUtils;

/**
 * Init scripts ({@code withInitScript}) as template setups: a script is loaded and split into statements exactly
 * as Testcontainers does (its {@link ScriptUtils}: classpath resource, {@code ;} separator or one statement per
 * line when there is none, {@code --} and block comments), and the statements run one by one, each in its own
 * transaction as over an auto-commit JDBC connection. Unlike in Docker, this happens once: the result is kept
 * in a template (cached on disk, keyed by the script's content), and every later container with the same scripts
 * starts from it in milliseconds.
 */
final class InitScripts {

    private InitScripts() {}

    /**
     * Loads a script from the classpath, as Testcontainers' {@code ScriptUtils.runInitScript} does (the thread's
     * context class loader first, then this library's).
     *
     * @param path the resource path
     * @return the script
     * @throws ScriptUtils.ScriptLoadException if there is no such resource
     */
    static String load(String path) {
        URL resource = null;
        ClassLoader context = Thread.currentThread().getContextClassLoader();
        if (context != null) {
            resource = context.getResource(path);
        }
        if (resource == null) {
            resource = InitScripts.class.getClassLoader().getResource(path);
        }
        if (resource == null) {
            throw new ScriptUtils.ScriptLoadException("Could not load classpath init script: " + path
                    + ". Resource not found.");
        }
        try (InputStream in = resource.openStream()) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("Could not load classpath init script: " + path, e);
        }
    }

    /**
     * Splits a script into statements with Testcontainers' own splitter and defaults.
     *
     * @param path the script's name, for messages
     * @param script the script
     * @return the statements, in order
     */
    static List<String> statements(String path, String script) {
        List<String> statements = new ArrayList<>();
        if (script.isBlank()) {
            return statements;
        }
        String separator = ScriptUtils.DEFAULT_STATEMENT_SEPARATOR;
        if (!ScriptUtils.containsSqlScriptDelimiters(path, script, ScriptUtils.DEFAULT_COMMENT_PREFIX, separator,
                ScriptUtils.DEFAULT_BLOCK_COMMENT_START_DELIMITER, ScriptUtils.DEFAULT_BLOCK_COMMENT_END_DELIMITER)) {
            separator = ScriptUtils.FALLBACK_STATEMENT_SEPARATOR;
        }
        ScriptUtils.splitSqlScript(path, script, separator, ScriptUtils.DEFAULT_COMMENT_PREFIX,
                ScriptUtils.DEFAULT_BLOCK_COMMENT_START_DELIMITER, ScriptUtils.DEFAULT_BLOCK_COMMENT_END_DELIMITER,
                statements);
        return statements;
    }

    /**
     * A template setup running one script.
     *
     * @param path the resource path (for messages)
     * @param script its content
     * @return a setup identified by the content, so that an edited script builds a new template
     */
    static TemplateSetup setup(String path, String script) {
        List<String> statements = statements(path, script);
        return TemplateSetup.of("testcontainers-init-script:" + TemplateSetup.sha256(script), cluster -> {
            for (int i = 0; i < statements.size(); i++) {
                try {
                    cluster.execute(statements.get(i));
                } catch (ClusterException e) {
                    throw new ScriptUtils.ScriptStatementFailedException(statements.get(i), i + 1, path, e);
                }
            }
        });
    }
}
