package io.pglite.cli;

import io.pglite.cluster.PgliteCluster;
import io.pglite.server.AuthMethod;
import io.pglite.server.PgliteServer;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/**
 * {@code java -jar pglite-server.jar [--port N] [--host 127.0.0.1] [--data-dir DIR] [--username U]
 * [--database D] [--password P] [--auth scram-sha-256|md5|trust] [--max-connections N]
 * [--unix-socket-dir DIR]}: runs PostgreSQL in this JVM and serves it on a loopback port until SIGINT or
 * SIGTERM, then lets requests that are running finish, rolls back idle transactions, shuts PostgreSQL down
 * cleanly (shutdown checkpoint) and exits 0.
 *
 * <p>When ready it prints exactly two lines on standard output, the JDBC URL and the {@code postgresql://}
 * URI, so scripts can read them; everything else goes to the log.
 */
public final class PgliteServerCommand {
    private PgliteServerCommand() {}

    /**
     * Entry point.
     *
     * @param args command-line options
     */
    public static void main(String[] args) throws InterruptedException {
        int status = run(args, System.out, System.err);
        if (status != 0) {
            System.exit(status);
        }
    }

    static int run(String[] args, PrintStream out, PrintStream err) throws InterruptedException {
        String host = "127.0.0.1";
        int port = 0;
        Path dataDir = null;
        String username = "postgres";
        String database = "postgres";
        String password = null;
        AuthMethod auth = null;
        int maxConnections = 100;
        Path socketDir = null;
        try {
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                switch (a) {
                    case "--port" -> port = Integer.parseInt(value(args, ++i, a));
                    case "--host" -> host = value(args, ++i, a);
                    case "--data-dir" -> dataDir = Path.of(value(args, ++i, a));
                    case "--username" -> username = value(args, ++i, a);
                    case "--database" -> database = value(args, ++i, a);
                    case "--password" -> password = value(args, ++i, a);
                    case "--auth" -> auth = authMethod(value(args, ++i, a));
                    case "--max-connections" -> maxConnections = Integer.parseInt(value(args, ++i, a));
                    case "--unix-socket-dir" -> socketDir = Path.of(value(args, ++i, a));
                    case "--help", "-h" -> {
                        out.println(usage());
                        return 0;
                    }
                    default -> throw new IllegalArgumentException("unknown option " + a);
                }
            }
        } catch (IllegalArgumentException e) {
            err.println("pglite-server: " + e.getMessage());
            err.println(usage());
            return 2;
        }

        if (auth != null && auth != AuthMethod.TRUST && password == null) {
            err.println("pglite-server: --auth " + auth + " needs --password");
            return 2;
        }
        PgliteCluster.Builder builder = PgliteCluster.builder().username(username).database(database)
                .password(password).authMethod(auth).maxConnections(maxConnections);
        if (dataDir != null) {
            builder.dataDirectory(dataDir);
        }
        PgliteCluster cluster;
        PgliteServer server;
        try {
            cluster = builder.build();
            server = cluster.startServer(cluster.serverOptions().host(host).port(port)
                    .unixSocketDirectory(socketDir).build());
        } catch (RuntimeException e) {
            err.println("pglite-server: " + e.getMessage());
            return 1;
        }
        // SIGINT/SIGTERM end the wait below, the cluster is closed on this thread and main returns, so the
        // JVM exits 0. The shutdown hook covers other ways the JVM may end (System.exit elsewhere).
        CountDownLatch stop = new CountDownLatch(1);
        for (String signal : new String[] {"INT", "TERM"}) {
            try {
                sun.misc.Signal.handle(new sun.misc.Signal(signal), s -> stop.countDown());
            } catch (IllegalArgumentException e) {
                err.println("pglite-server: cannot handle SIG" + signal + ": " + e.getMessage());
            }
        }
        Thread hook = new Thread(cluster::close, "pglite-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        String where = server.host() + ":" + server.port() + "/" + database;
        String enc = java.net.URLEncoder.encode(username, java.nio.charset.StandardCharsets.UTF_8);
        String pw = password == null ? null : java.net.URLEncoder.encode(password,
                java.nio.charset.StandardCharsets.UTF_8);
        out.println("jdbc:postgresql://" + where + "?user=" + enc + (pw == null ? "" : "&password=" + pw));
        out.println("postgresql://" + enc + (pw == null ? "" : ":" + pw) + "@" + where);
        out.flush();
        stop.await();
        cluster.close();
        return 0;
    }

    private static String value(String[] args, int i, String option) {
        if (i >= args.length) {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return args[i];
    }

    private static AuthMethod authMethod(String name) {
        return switch (name.toLowerCase(java.util.Locale.ROOT)) {
            case "scram-sha-256", "scram" -> AuthMethod.SCRAM_SHA_256;
            case "md5" -> AuthMethod.MD5;
            case "trust" -> AuthMethod.TRUST;
            default -> throw new IllegalArgumentException("unknown authentication method " + name
                    + " (scram-sha-256, md5 or trust)");
        };
    }

    private static String usage() {
        return "usage: pglite-server [--port N] [--host 127.0.0.1] [--data-dir DIR] [--username U] [--database D]"
                + " [--password P] [--auth scram-sha-256|md5|trust] [--max-connections N] [--unix-socket-dir DIR]";
    }
}
