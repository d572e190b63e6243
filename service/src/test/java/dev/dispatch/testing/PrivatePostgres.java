package dev.dispatch.testing;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.UserPrincipal;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A PostgreSQL cluster of its own (the Debian server binaries, a fresh data directory under /tmp, its own port on
 * 127.0.0.1) that fault tests may restart or stop without touching the machine's shared cluster. As root, every
 * {@code initdb}/{@code pg_ctl} runs as the {@code postgres} user (the server refuses to run as root).
 */
public final class PrivatePostgres implements AutoCloseable {
    private static final Path DEBIAN_ROOT = Path.of("/usr/lib/postgresql");
    private final Path bin;
    private final Path data;
    private final int port;
    private final boolean asPostgres;
    private final Thread shutdownHook;
    private boolean closed;

    private PrivatePostgres(Path bin, Path data, int port, boolean asPostgres) {
        this.bin = bin;
        this.data = data;
        this.port = port;
        this.asPostgres = asPostgres;
        this.shutdownHook = new Thread(this::stopQuietly, "PrivatePostgres-shutdown");
        Runtime.getRuntime().addShutdownHook(shutdownHook);
    }

    /** Initialises a trust-auth cluster (superuser {@code postgres}) listening on 127.0.0.1:{@code port}, starts it. */
    public static PrivatePostgres start(int port) throws IOException {
        Path bin = findBin();
        boolean root = "root".equals(System.getProperty("user.name"));
        Path data = Files.createTempDirectory("dispatch-pg-" + port + "-");
        if (root) {
            UserPrincipal postgres =
                    data.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("postgres");
            Files.setOwner(data, postgres);
        }
        PrivatePostgres pg = new PrivatePostgres(bin, data, port, root);
        try {
            pg.run(
                    Duration.ofSeconds(120),
                    bin.resolve("initdb").toString(),
                    "-D",
                    data.toString(),
                    "-U",
                    "postgres",
                    "-A",
                    "trust",
                    "-E",
                    "UTF8",
                    "--no-sync",
                    "--locale=C.UTF-8");
            // Durability is not what fault tests measure; start-up and restart time is.
            String settings = String.join(
                    "\n",
                    "port = " + port,
                    "listen_addresses = '127.0.0.1'",
                    "unix_socket_directories = '" + data + "'",
                    "max_connections = 300",
                    "fsync = off",
                    "full_page_writes = off",
                    "log_min_messages = warning",
                    "");
            Files.writeString(data.resolve("postgresql.conf"), settings, StandardOpenOption.APPEND);
            pg.pgCtl(Duration.ofSeconds(60), "start", "-l", pg.log().toString());
            return pg;
        } catch (IOException | RuntimeException e) {
            pg.close();
            throw e;
        }
    }

    /** jdbc:postgresql://127.0.0.1:port/database */
    public String jdbcUrl(String database) {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + database;
    }

    /** The port the server listens on. */
    public int port() {
        return port;
    }

    /** Creates (or recreates) an empty database. */
    public void recreateDatabase(String name) throws SQLException {
        try (Connection c = DriverManager.getConnection(jdbcUrl("postgres"), "postgres", null);
                Statement s = c.createStatement()) {
            s.execute("drop database if exists " + name + " with (force)");
            s.execute("create database " + name);
        }
    }

    /** {@code pg_ctl restart -m fast}: every connection is cut, the server is back when this returns. */
    public Duration restart() throws IOException {
        long t0 = System.nanoTime();
        pgCtl(Duration.ofSeconds(60), "restart", "-m", "fast", "-l", log().toString());
        return Duration.ofNanos(System.nanoTime() - t0);
    }

    /** The server log (for a failure report). */
    public Path log() {
        return data.resolve("server.log");
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException shutdownInProgress) {
            // the hook runs anyway; stopping twice is harmless
        }
        stopQuietly();
        deleteTree(data);
    }

    private void stopQuietly() {
        if (Files.exists(data.resolve("postmaster.pid"))) {
            try {
                pgCtl(Duration.ofSeconds(60), "stop", "-m", "fast");
            } catch (IOException | RuntimeException e) {
                System.err.println("PrivatePostgres: stop failed: " + e.getMessage());
            }
        }
    }

    private void pgCtl(Duration timeout, String action, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(
                bin.resolve("pg_ctl").toString(),
                "-D",
                data.toString(),
                "-w",
                "-t",
                Long.toString(timeout.toSeconds()),
                action));
        command.addAll(List.of(args));
        run(timeout.plusSeconds(10), command.toArray(String[]::new));
    }

    private void run(Duration timeout, String... command) throws IOException {
        List<String> full = new ArrayList<>();
        if (asPostgres) {
            full.addAll(List.of("runuser", "-u", "postgres", "--"));
        }
        full.addAll(List.of(command));
        Process p = new ProcessBuilder(full)
                .redirectErrorStream(true)
                .directory(Path.of("/tmp").toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .start();
        try {
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(timeout.toSeconds(), TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroyForcibly();
                throw new IOException(
                        String.join(" ", command) + " failed: " + new String(out, StandardCharsets.UTF_8).strip());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
            throw new IOException("interrupted: " + String.join(" ", command), e);
        }
    }

    private static Path findBin() throws IOException {
        if (!Files.isDirectory(DEBIAN_ROOT)) {
            throw new IOException(
                    "no PostgreSQL server binaries under " + DEBIAN_ROOT + " (apt-get install postgresql)");
        }
        try (Stream<Path> versions = Files.list(DEBIAN_ROOT)) {
            return versions.map(v -> v.resolve("bin"))
                    .filter(b -> Files.isExecutable(b.resolve("pg_ctl")))
                    .max(Comparator.comparingInt(b -> Integer.parseInt(
                            b.getParent().getFileName().toString().replaceAll("\\D", "0"))))
                    .orElseThrow(() -> new IOException("no pg_ctl under " + DEBIAN_ROOT));
        }
    }

    private static void deleteTree(Path root) {
        try {
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.delete(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
                    Files.delete(dir);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            System.err.println("PrivatePostgres: could not delete " + root + ": " + e.getMessage());
        }
    }
}
