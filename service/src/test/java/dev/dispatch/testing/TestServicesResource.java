package dev.dispatch.testing;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.eclipse.microprofile.config.Config;
import org.eclipse.microprofile.config.ConfigProvider;

/**
 * Real services for {@code @QuarkusTest}s. The one switch is {@code test.services}: {@code local} (default;
 * PostgreSQL from {@link TestPostgres} - the machine's on 127.0.0.1:5432 if one listens, else an embedded one - with
 * a fresh database, and the Kafka broker of the project's own {@code bin/kafka-local}), or {@code containers}
 * (Quarkus Dev Services start both through Docker). Either way it generates the RSA key pair that signs and verifies
 * test tokens.
 *
 * <p>PostgreSQL and Kafka live as long as the JVM: a Quarkus restart (a new test profile) reuses them. A broker this
 * JVM started is stopped when the JVM exits; one that was already running (a developer's {@code bin/kafka-local
 * start}) is left running.
 */
public class TestServicesResource implements QuarkusTestResourceLifecycleManager {
    /** Database recreated for each run; override with env DISPATCH_TEST_DB to run suites side by side. */
    public static final String DATABASE = System.getenv().getOrDefault("DISPATCH_TEST_DB", "dispatch_test");
    /**
     * The restricted role the service connects as in local mode (Flyway migrates as the owner); V13 grants it only
     * what the service needs. Cluster-wide, created if missing, shared by suites running side by side.
     */
    public static final String APP_ROLE = "dispatch_app";

    private static String kafkaBootstrap; // guarded by TestServicesResource.class

    @Override
    public Map<String, String> start() {
        Map<String, String> config = new HashMap<>(jwtKeys());
        if (!"local".equals(mode())) {
            return config;
        }
        TestPostgres.Server pg = TestPostgres.server();
        recreateDatabase(pg);
        config.put("quarkus.datasource.jdbc.url", pg.jdbcUrl(DATABASE));
        config.put("quarkus.datasource.username", APP_ROLE);
        config.put("quarkus.flyway.username", pg.user());
        // Quarkus uses the Flyway credentials only when both are set; both servers trust 127.0.0.1 anyway.
        config.put("quarkus.flyway.password", System.getProperty("test.pg-password", "trust"));
        config.put("quarkus.flyway.placeholders.app_role", APP_ROLE);
        config.put("kafka.bootstrap.servers", startKafka());
        return config;
    }

    /** Nothing to do: PostgreSQL and Kafka outlive a Quarkus restart and are stopped when the JVM exits. */
    @Override
    public void stop() {}

    /**
     * A connection to the suite's database as the schema owner (the Flyway user), for tests that play an insider
     * with owner rights; the service's own datasource connects as {@link #APP_ROLE} in local mode.
     */
    public static Connection ownerConnection() throws SQLException {
        Config config = ConfigProvider.getConfig();
        String url = config.getOptionalValue("quarkus.flyway.jdbc-url", String.class)
                .orElse(config.getValue("quarkus.datasource.jdbc.url", String.class));
        String user = config.getOptionalValue("quarkus.flyway.username", String.class)
                .orElse(config.getValue("quarkus.datasource.username", String.class));
        String password = config.getOptionalValue("quarkus.flyway.password", String.class)
                .or(() -> config.getOptionalValue("quarkus.datasource.password", String.class))
                .orElse(null);
        return DriverManager.getConnection(url, user, password);
    }

    static String mode() {
        return System.getProperty("test.services", "local");
    }

    private static Map<String, String> jwtKeys() {
        try {
            return jwtKeys(projectDir().resolve("target/test-jwt"));
        } catch (Exception e) {
            throw new IllegalStateException("cannot generate test JWT keys", e);
        }
    }

    /**
     * Generates the RSA pair that signs and verifies test tokens into {@code dir}; returns the config that points
     * the service ({@code mp.jwt.verify.publickey.location}) and the token minter ({@code test.jwt-private-key}) at it.
     */
    public static Map<String, String> jwtKeys(Path dir) throws Exception {
        Files.createDirectories(dir);
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        KeyPair pair = generator.generateKeyPair();
        Path publicKey = dir.resolve("public.pem");
        Path privateKey = dir.resolve("private.pem");
        Files.writeString(publicKey, pem("PUBLIC KEY", pair.getPublic().getEncoded()));
        Files.writeString(privateKey, pem("PRIVATE KEY", pair.getPrivate().getEncoded()));
        return Map.of(
                "mp.jwt.verify.publickey.location",
                publicKey.toUri().toString(),
                "test.jwt-private-key",
                privateKey.toString());
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                        .encodeToString(der) + "\n-----END " + type + "-----\n";
    }

    private static void recreateDatabase(TestPostgres.Server pg) {
        try (Connection c = TestPostgres.admin("postgres");
                Statement s = c.createStatement()) {
            s.execute("drop database if exists " + DATABASE + " with (force)");
            s.execute("create database " + DATABASE);
            // Idempotent, and safe against a suite next door creating it at the same moment.
            s.execute("do $$ begin if not exists (select 1 from pg_roles where rolname = '" + APP_ROLE + "') then"
                    + " create role " + APP_ROLE + " login; end if;"
                    + " exception when duplicate_object or unique_violation then null; end $$");
        } catch (SQLException e) {
            throw new IllegalStateException(
                    "PostgreSQL is not reachable at " + pg.jdbcUrl("postgres") + " as "
                            + pg.user()
                            + (pg.embedded() ? "" : " (start it, or use the embedded one: -Dtest.pg=embedded)")
                            + ": " + e.getMessage(),
                    e);
        }
    }

    /**
     * Starts the broker once per JVM (bin/kafka-local downloads its jars through ./mvnw on first use). If it is not
     * running and its ports (DISPATCH_KAFKA_PORT, default 9092, and the next one) are taken by something else, it
     * runs on the first free pair from 19092 instead.
     */
    private static synchronized String startKafka() {
        if (kafkaBootstrap != null) {
            return kafkaBootstrap;
        }
        Map<String, String> env = new HashMap<>();
        boolean running = run(List.of(kafkaScript().toString(), "status"), 30, env).exitCode == 0;
        if (!running) {
            int port = Integer.parseInt(System.getenv().getOrDefault("DISPATCH_KAFKA_PORT", "9092"));
            if (TestPostgres.listens("127.0.0.1:" + port) || TestPostgres.listens("127.0.0.1:" + (port + 1))) {
                int free = 19092;
                while (TestPostgres.listens("127.0.0.1:" + free) || TestPostgres.listens("127.0.0.1:" + (free + 1))) {
                    free += 2;
                }
                System.out.printf("TestServicesResource: Kafka port %d is taken; using %d%n", port, free);
                env.put("DISPATCH_KAFKA_PORT", Integer.toString(free));
                env.put("DISPATCH_KAFKA_CONTROLLER_PORT", Integer.toString(free + 1));
            }
        }
        Result start = run(List.of(kafkaScript().toString(), "start"), 600, env);
        if (start.exitCode != 0) {
            throw new IllegalStateException("bin/kafka-local start failed:\n" + start.output);
        }
        if (!running) {
            Runtime.getRuntime()
                    .addShutdownHook(new Thread(
                            () -> run(List.of(kafkaScript().toString(), "stop"), 60, env), "kafka-local-stop"));
        }
        String[] lines = start.output.strip().split("\\R");
        kafkaBootstrap = lines[lines.length - 1].strip();
        return kafkaBootstrap;
    }

    private static Path kafkaScript() {
        return projectDir().resolve("bin/kafka-local");
    }

    static Path projectDir() {
        return Path.of(System.getProperty("test.project.dir", ".")).toAbsolutePath();
    }

    private record Result(int exitCode, String output) {}

    private static Result run(List<String> command, int timeoutSeconds, Map<String, String> env) {
        try {
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
            builder.environment().putAll(env);
            Process p = builder.start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return new Result(-1, new String(out, StandardCharsets.UTF_8));
            }
            return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + command, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
