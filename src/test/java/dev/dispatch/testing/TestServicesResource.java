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
 * the machine's PostgreSQL on 127.0.0.1:5432 with a fresh database, and the Kafka broker started by the project's
 * own {@code bin/kafka-local}), or {@code containers} (Quarkus Dev Services start both through Docker).
 * Either way it generates the RSA key pair that signs and verifies test tokens.
 */
public class TestServicesResource implements QuarkusTestResourceLifecycleManager {
    /** Database recreated for each run; override with env DISPATCH_TEST_DB to run suites side by side. */
    public static final String DATABASE = System.getenv().getOrDefault("DISPATCH_TEST_DB", "dispatch_test");
    /**
     * The restricted role the service connects as in local mode (Flyway migrates as the owner); V13 grants it only
     * what the service needs. Cluster-wide, created if missing, shared by suites running side by side.
     */
    public static final String APP_ROLE = "dispatch_app";
    private boolean startedKafka;

    @Override
    public Map<String, String> start() {
        Map<String, String> config = new HashMap<>(jwtKeys());
        if (!"local".equals(mode())) {
            return config;
        }
        String pgHost = System.getProperty("test.pg-host", "127.0.0.1:5432");
        String pgUser = System.getProperty("test.pg-user", "postgres");
        recreateDatabase("jdbc:postgresql://" + pgHost + "/postgres", pgUser);
        config.put("quarkus.datasource.jdbc.url", "jdbc:postgresql://" + pgHost + "/" + DATABASE);
        config.put("quarkus.datasource.username", APP_ROLE);
        config.put("quarkus.flyway.username", pgUser);
        // Quarkus uses the Flyway credentials only when both are set; the local server trusts 127.0.0.1 anyway.
        config.put("quarkus.flyway.password", System.getProperty("test.pg-password", "trust"));
        config.put("quarkus.flyway.placeholders.app_role", APP_ROLE);
        config.put("kafka.bootstrap.servers", startKafka());
        return config;
    }

    @Override
    public void stop() {
        if (startedKafka) {
            run(List.of(kafkaScript().toString(), "stop"), 60);
        }
    }

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
                .or(() -> config.getOptionalValue("quarkus.datasource.password", String.class)).orElse(null);
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
        return Map.of("mp.jwt.verify.publickey.location", publicKey.toUri().toString(),
                "test.jwt-private-key", privateKey.toString());
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(der) + "\n-----END " + type + "-----\n";
    }

    private static void recreateDatabase(String adminUrl, String user) {
        try (Connection c = DriverManager.getConnection(adminUrl, user, null); Statement s = c.createStatement()) {
            s.execute("drop database if exists " + DATABASE + " with (force)");
            s.execute("create database " + DATABASE);
            // Idempotent, and safe against a suite next door creating it at the same moment.
            s.execute("do $$ begin if not exists (select 1 from pg_roles where rolname = '" + APP_ROLE + "') then"
                    + " create role " + APP_ROLE + " login; end if;"
                    + " exception when duplicate_object or unique_violation then null; end $$");
        } catch (SQLException e) {
            throw new IllegalStateException("PostgreSQL is not reachable at " + adminUrl + " as " + user
                    + " (start it: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start): "
                    + e.getMessage(), e);
        }
    }

    private String startKafka() {
        Path script = kafkaScript();
        boolean running = run(List.of(script.toString(), "status"), 30).exitCode == 0;
        Result start = run(List.of(script.toString(), "start"), 600);
        if (start.exitCode != 0) {
            throw new IllegalStateException("bin/kafka-local start failed:\n" + start.output);
        }
        startedKafka = !running;
        String[] lines = start.output.strip().split("\\R");
        return lines[lines.length - 1].strip();
    }

    private static Path kafkaScript() {
        return projectDir().resolve("bin/kafka-local");
    }

    static Path projectDir() {
        return Path.of(System.getProperty("test.project.dir", ".")).toAbsolutePath();
    }

    private record Result(int exitCode, String output) {
    }

    private static Result run(List<String> command, int timeoutSeconds) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
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
