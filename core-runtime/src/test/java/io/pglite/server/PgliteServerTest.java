package io.pglite.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pglite.cluster.PgliteCluster;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The loopback server: startup negotiation and bad input. */
class PgliteServerTest {
    private static PgliteCluster cluster;

    @BeforeAll
    static void start() {
        cluster = PgliteCluster.builder().build();
        cluster.server();
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private static Socket connect() throws IOException {
        Socket s = new Socket("127.0.0.1", cluster.server().port());
        s.setSoTimeout(30_000);
        return s;
    }

    private static void assertServerStillAnswers() throws SQLException {
        try (Connection c = DriverManager.getConnection(cluster.jdbcUrl(), "postgres", "");
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT 'ok'")) {
            rs.next();
            assertThat(rs.getString(1)).isEqualTo("ok");
        }
    }

    @Test
    void aPortInUseIsAClearError() throws IOException {
        try (ServerSocket taken = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            int port = taken.getLocalPort();
            assertThatThrownBy(() -> PgliteServer.start(cluster.backend(), "127.0.0.1", port))
                    .isInstanceOf(ServerStartException.class)
                    .hasMessageContaining("127.0.0.1:" + port)
                    .hasMessageContaining("already in use");
        }
    }

    /**
     * A server that closes while a client is connected leaves that connection lingering on its port (FIN-WAIT-2,
     * then TIME_WAIT) until the client closes its end; a new server on that port (a restarted pglite-server while
     * an IDE or psql is still connected) must start anyway.
     */
    @Test
    void aServerRestartedOnTheSamePortWhileAClientLingersStarts() throws Exception {
        PgliteCluster first = PgliteCluster.builder().build();
        int port = first.startServer("127.0.0.1", 0).port();
        try (Socket client = new Socket("127.0.0.1", port)) {
            client.setSoTimeout(30_000);
            DataOutputStream out = new DataOutputStream(client.getOutputStream());
            DataInputStream in = new DataInputStream(client.getInputStream());
            sendStartup(out, "postgres", "postgres");
            assertThat(readUntilReady(in)).endsWith("Z");
            first.close(); // the server closes its end first; the client keeps its own open
            drain(in);
            try (PgliteCluster second = PgliteCluster.builder().build()) {
                assertThat(second.startServer("127.0.0.1", port).port()).isEqualTo(port);
                try (Connection c = DriverManager.getConnection(second.jdbcUrl(), "postgres", "");
                        Statement s = c.createStatement();
                        ResultSet rs = s.executeQuery("SELECT 'again'")) {
                    rs.next();
                    assertThat(rs.getString(1)).isEqualTo("again");
                }
            }
        }
    }

    @Test
    void sslAndGssRequestsAreDeclined() throws IOException {
        try (Socket s = connect()) {
            DataOutputStream out = new DataOutputStream(s.getOutputStream());
            DataInputStream in = new DataInputStream(s.getInputStream());
            out.writeInt(8);
            out.writeInt(80877104); // GSSENCRequest
            out.flush();
            assertThat(in.readByte()).isEqualTo((byte) 'N');
            out.writeInt(8);
            out.writeInt(80877103); // SSLRequest
            out.flush();
            assertThat(in.readByte()).isEqualTo((byte) 'N');
            sendStartup(out, "postgres", "postgres");
            assertThat(readUntilReady(in)).contains("R").endsWith("Z");
            // Simple query, then Terminate.
            sendQuery(out, "SELECT 6 * 7");
            String types = readUntilReady(in);
            assertThat(types).startsWith("TD").contains("C").endsWith("Z");
            out.writeByte('X');
            out.writeInt(4);
            out.flush();
            assertThat(in.read()).isEqualTo(-1);
        }
    }

    @Test
    void anUnsupportedProtocolVersionIsRefusedWithTheStandardError() throws IOException {
        try (Socket s = connect()) {
            DataOutputStream out = new DataOutputStream(s.getOutputStream());
            DataInputStream in = new DataInputStream(s.getInputStream());
            out.writeInt(8);
            out.writeInt(2 << 16); // protocol 2.0
            out.flush();
            assertThat(in.readByte()).isEqualTo((byte) 'E');
            byte[] body = new byte[in.readInt() - 4];
            in.readFully(body);
            String text = new String(body, StandardCharsets.UTF_8);
            assertThat(text).contains("0A000").contains("unsupported frontend protocol 2.0");
        }
    }

    @Test
    void malformedFramesCloseOnlyThatConnection() throws Exception {
        // A hostile length after a good startup.
        try (Socket s = connect()) {
            DataOutputStream out = new DataOutputStream(s.getOutputStream());
            DataInputStream in = new DataInputStream(s.getInputStream());
            sendStartup(out, "postgres", "postgres");
            readUntilReady(in);
            out.writeByte('Q');
            out.writeInt(Integer.MAX_VALUE);
            out.flush();
            String rest = drain(in);
            assertThat(rest).contains("08P01").contains("invalid message length");
        }
        assertServerStillAnswers();
        // A garbage startup packet.
        try (Socket s = connect()) {
            s.getOutputStream().write(new byte[] {0x7f, 0x7f, 0x7f, 0x7f, 1, 2, 3, 4});
            s.getOutputStream().flush();
            assertThat(drain(new DataInputStream(s.getInputStream()))).contains("invalid length of startup packet");
        }
        assertServerStillAnswers();
        // A truncated message followed by a disconnect.
        try (Socket s = connect()) {
            DataOutputStream out = new DataOutputStream(s.getOutputStream());
            DataInputStream in = new DataInputStream(s.getInputStream());
            sendStartup(out, "postgres", "postgres");
            readUntilReady(in);
            out.writeByte('Q');
            out.writeInt(100);
            out.write("SELECT".getBytes(StandardCharsets.US_ASCII));
            out.flush();
        }
        assertServerStillAnswers();
        // An unknown message type is answered by PostgreSQL itself.
        try (Socket s = connect()) {
            DataOutputStream out = new DataOutputStream(s.getOutputStream());
            DataInputStream in = new DataInputStream(s.getInputStream());
            sendStartup(out, "postgres", "postgres");
            readUntilReady(in);
            out.writeByte('!');
            out.writeInt(4);
            out.flush();
            assertThat(drain(in)).contains("08P01");
        }
        assertServerStillAnswers();
    }

    @Test
    void aClientThatLeavesInsideATransactionIsRolledBack() throws Exception {
        try (Connection c = DriverManager.getConnection(cluster.jdbcUrl(), "postgres", "");
                Statement s = c.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS left_behind (id int)");
        }
        Connection c = DriverManager.getConnection(cluster.jdbcUrl(), "postgres", "");
        c.setAutoCommit(false);
        try (Statement s = c.createStatement()) {
            s.execute("INSERT INTO left_behind VALUES (1)");
        }
        // Drop the socket without COMMIT or Terminate.
        c.abort(Runnable::run);
        try (Connection d = DriverManager.getConnection(cluster.jdbcUrl(), "postgres", "");
                Statement s = d.createStatement();
                ResultSet rs = s.executeQuery("SELECT count(*) FROM left_behind")) {
            rs.next();
            assertThat(rs.getInt(1)).isZero();
        }
    }

    /**
     * Where the system refuses a connection thread the backend's large stack, the connection still gets a thread
     * (an ordinary one, which hands its requests to the backend's thread).
     */
    @Test
    void aConnectionGetsAnOrdinaryThreadWhenTheLargeStackIsRefused() throws Exception {
        java.util.concurrent.CountDownLatch ran = new java.util.concurrent.CountDownLatch(1);
        Thread refused = new Thread(() -> { }) {
            @Override
            public synchronized void start() {
                throw new OutOfMemoryError("unable to create native thread: possibly out of memory");
            }
        };
        Thread t = PgliteServer.startConnectionThread(() -> refused, ran::countDown, "pglite-connection-test");
        assertThat(ran.await(30, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        assertThat(t).isNotSameAs(refused);
        assertThat(t.getName()).isEqualTo("pglite-connection-test");
    }

    /**
     * Connection threads run the backend themselves: deep recursion in PostgreSQL (nested SQL functions, each
     * level a parse, plan and execution) must fit their stack as it fits the backend's own thread, and a
     * recursion without end must stop at PostgreSQL's own limit with an ordinary error, not by overflowing the
     * JVM stack (which would cost the session and an in-memory cluster's data).
     */
    @Test
    void deepRecursionThroughAConnectionRunsAndRunawayRecursionIsAnOrdinaryError() throws SQLException {
        try (Connection c = DriverManager.getConnection(cluster.jdbcUrl(), "postgres", "");
                Statement s = c.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS survives_recursion (id int)");
            s.execute("INSERT INTO survives_recursion VALUES (7)");
            s.execute("CREATE OR REPLACE FUNCTION depth(n int) RETURNS int LANGUAGE plpgsql AS "
                    + "$$ BEGIN IF n = 0 THEN RETURN 0; END IF; RETURN depth(n - 1) + 1; END $$");
            try (ResultSet rs = s.executeQuery("SELECT depth(400)")) {
                rs.next();
                assertThat(rs.getInt(1)).isEqualTo(400);
            }
            assertThatThrownBy(() -> s.executeQuery("SELECT depth(100000000)"))
                    .isInstanceOf(SQLException.class)
                    .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("54001"))
                    .hasMessageContaining("stack depth limit exceeded");
            try (ResultSet rs = s.executeQuery("SELECT id FROM survives_recursion")) {
                rs.next();
                assertThat(rs.getInt(1)).isEqualTo(7);
            }
        }
    }

    private static void sendStartup(DataOutputStream out, String user, String database) throws IOException {
        java.io.ByteArrayOutputStream params = new java.io.ByteArrayOutputStream();
        for (String p : new String[] {"user", user, "database", database}) {
            params.writeBytes(p.getBytes(StandardCharsets.UTF_8));
            params.write(0);
        }
        params.write(0);
        out.writeInt(8 + params.size());
        out.writeInt(196608);
        out.write(params.toByteArray());
        out.flush();
    }

    private static void sendQuery(DataOutputStream out, String sql) throws IOException {
        byte[] q = sql.getBytes(StandardCharsets.UTF_8);
        out.writeByte('Q');
        out.writeInt(4 + q.length + 1);
        out.write(q);
        out.writeByte(0);
        out.flush();
    }

    /** Reads messages up to ReadyForQuery and returns their type letters. */
    private static String readUntilReady(DataInputStream in) throws IOException {
        StringBuilder types = new StringBuilder();
        while (true) {
            char type = (char) in.readByte();
            byte[] body = new byte[in.readInt() - 4];
            in.readFully(body);
            types.append(type);
            if (type == 'Z') {
                return types.toString();
            }
        }
    }

    /** Reads until the server closes the connection. */
    private static String drain(DataInputStream in) throws IOException {
        StringBuilder sb = new StringBuilder();
        try {
            byte[] buf = new byte[4096];
            int n;
            while ((n = in.read(buf)) > 0) {
                sb.append(new String(buf, 0, n, StandardCharsets.ISO_8859_1));
            }
        } catch (EOFException | java.net.SocketException e) {
            // closed
        }
        return sb.toString();
    }
}
