package io.pglite.samples.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code java -cp <this test class path> io.pglite.cli.PgliteServerCommand <options>} in a child JVM: the
 * same as {@code java -jar pglite-server.jar <options>}. The server prints its JDBC URL and its
 * {@code postgresql://} URI on standard output when it is ready; its log (standard error) goes to a file.
 */
final class PgliteServerProcess implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PgliteServerProcess.class);

    /** The first start on a machine runs initdb (about 15 s on two cores) unless the template is cached. */
    private static final long READY_TIMEOUT_SECONDS = 180;

    final Process process;
    final String jdbcUrl;
    final String uri;
    final Path log;

    private PgliteServerProcess(Process process, String jdbcUrl, String uri, Path log) {
        this.process = process;
        this.jdbcUrl = jdbcUrl;
        this.uri = uri;
        this.log = log;
    }

    static PgliteServerProcess start(Path log, String... options) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add("io.pglite.cli.PgliteServerCommand");
        command.addAll(List.of(options));
        // the child inherits this JVM's environment, PGLITE_CACHE_DIR included, so it reuses the cached template
        Process process = new ProcessBuilder(command)
                .redirectError(log.toFile())
                .start();
        long started = System.nanoTime();
        BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        // readLine blocks until the server is ready, or returns null if it exits first
        CompletableFuture<List<String>> ready = CompletableFuture.supplyAsync(() -> {
            try {
                return List.of(String.valueOf(out.readLine()), String.valueOf(out.readLine()));
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
        List<String> lines;
        try {
            lines = ready.get(READY_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (TimeoutException | ExecutionException e) {
            process.destroyForcibly();
            throw new AssertionError("the server did not print its URLs; its log:\n" + Files.readString(log), e);
        }
        if (!lines.get(0).startsWith("jdbc:postgresql://") || !lines.get(1).startsWith("postgresql://")) {
            process.destroyForcibly();
            throw new AssertionError("unexpected output " + lines + "; the server's log:\n" + Files.readString(log));
        }
        LOG.info("server ready in {} ms at {}", (System.nanoTime() - started) / 1_000_000, lines.get(0));
        return new PgliteServerProcess(process, lines.get(0), lines.get(1), log);
    }

    /** Sends SIGTERM (what {@link Process#destroy()} does on Linux and macOS) and waits for the exit code. */
    int stop() throws Exception {
        process.destroy();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("the server did not stop within 60 s of SIGTERM; its log:\n"
                    + Files.readString(log));
        }
        return process.exitValue();
    }

    String log() throws IOException {
        return Files.readString(log);
    }

    @Override
    public void close() {
        // only reached with the process still alive when a test failed before stop()
        if (process.isAlive()) {
            process.destroyForcibly();
        }
    }
}
