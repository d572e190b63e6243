package dev.dispatch.testing;

import static io.restassured.RestAssured.given;

import io.restassured.http.ContentType;
import io.smallrye.jwt.build.Jwt;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/** The packaged service ({@code service/target/quarkus-app/quarkus-run.jar}) as a separate OS process, for crash tests. */
public final class DispatchProcess implements AutoCloseable {
    private final String name;
    private final Process process;
    private final int port;
    private final int managementPort;
    private final Path log;

    private DispatchProcess(String name, Process process, int port, int managementPort, Path log) {
        this.name = name;
        this.process = process;
        this.port = port;
        this.managementPort = managementPort;
        this.log = log;
    }

    /**
     * The environment that points a process at the test services {@code config} (from
     * {@link TestServicesResource#start()}) in the given role, with Kafka intake off; callers add or override entries.
     */
    public static Map<String, String> env(Map<String, String> config, String role, String workerId) {
        Map<String, String> env = new HashMap<>();
        env.put("QUARKUS_DATASOURCE_JDBC_URL", config.get("quarkus.datasource.jdbc.url"));
        env.put("QUARKUS_DATASOURCE_USERNAME", config.get("quarkus.datasource.username"));
        if (config.containsKey("quarkus.flyway.username")) {
            env.put("QUARKUS_FLYWAY_USERNAME", config.get("quarkus.flyway.username"));
            env.put("QUARKUS_FLYWAY_PASSWORD", config.get("quarkus.flyway.password"));
        }
        env.put("KAFKA_BOOTSTRAP_SERVERS", config.get("kafka.bootstrap.servers"));
        env.put("MP_JWT_VERIFY_PUBLICKEY_LOCATION", config.get("mp.jwt.verify.publickey.location"));
        env.put("DISPATCH_CREDENTIALS_ENCRYPTION_KEY", "cHJvY2Vzcy10ZXN0LW9ubHkta2V5LTMyLWJ5dGVzLWw=");
        env.put("DISPATCH_AUDIT_HMAC_KEY", "cHJvY2Vzcy10ZXN0LW9ubHktYXVkaXQta2V5LTMyLWJ5dGVz");
        env.put("DISPATCH_ROLE", role);
        env.put("DISPATCH_WORKER_ID", workerId);
        env.put("MP_MESSAGING_INCOMING_JOB_SUBMISSIONS_ENABLED", "false");
        return env;
    }

    /** An admin token for {@code tenant}, signed with the test services' JWT key. */
    public static String adminToken(Map<String, String> config, String tenant, String subject) throws Exception {
        String pem = Files.readString(Path.of(config.get("test.jwt-private-key")))
                .replaceAll("-----[A-Z ]+-----", "")
                .replaceAll("\\s", "");
        var key = KeyFactory.getInstance("RSA")
                .generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(pem)));
        return Jwt.issuer("dispatch")
                .audience("dispatch")
                .subject(subject)
                .claim("tenant", tenant)
                .groups(Set.of("dispatch-admin"))
                .expiresIn(7200)
                .sign(key);
    }

    /** Registers every host of {@code fleet} (credential {@code k}, its host key) through this process's REST API. */
    public List<String> register(String token, OpenSshHosts fleet) {
        given().baseUri(baseUrl())
                .auth()
                .oauth2(token)
                .contentType(ContentType.JSON)
                .body(Map.of("privateKey", fleet.userPrivateKey()))
                .put("/api/v1/credentials/k")
                .then()
                .statusCode(200);
        List<String> names = new ArrayList<>();
        for (OpenSshHosts.Host h : fleet.hosts()) {
            given().baseUri(baseUrl())
                    .auth()
                    .oauth2(token)
                    .contentType(ContentType.JSON)
                    .body(Map.of("address", h.address(), "port", h.port(), "user", fleet.user(), "credential", "k"))
                    .put("/api/v1/hosts/" + h.name())
                    .then()
                    .statusCode(200);
            given().baseUri(baseUrl())
                    .auth()
                    .oauth2(token)
                    .contentType(ContentType.JSON)
                    .body(Map.of("keys", List.of(h.hostKeyLine())))
                    .put("/api/v1/known-hosts/" + h.name())
                    .then()
                    .statusCode(200);
            names.add(h.name());
        }
        return names;
    }

    /** CPU time (user + system) the process has used so far, in milliseconds. */
    public long cpuMillis() throws IOException {
        String[] stat = Files.readString(Path.of("/proc/" + process.pid() + "/stat"))
                .split("\\) ")[1]
                .split(" ");
        return (Long.parseLong(stat[11]) + Long.parseLong(stat[12])) * 10;
    }

    /** A line of {@code /proc/PID/status} in KiB, e.g. {@code VmRSS} or {@code VmHWM} (peak). */
    public long memoryKib(String field) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + process.pid() + "/status"))) {
            if (line.startsWith(field + ":")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new IOException("no " + field + " in /proc/" + process.pid() + "/status");
    }

    /** Starts the jar with the given environment on a free HTTP port and waits until it reports ready. */
    public static DispatchProcess start(String name, Map<String, String> env) throws Exception {
        Path project = TestServicesResource.projectDir();
        Path jar = project.resolve("service/target/quarkus-app/quarkus-run.jar");
        if (!Files.exists(jar)) {
            throw new IllegalStateException(jar + " is missing: run the package phase first (./mvnw verify)");
        }
        int port = freePort();
        int managementPort = freePort();
        Path log = project.resolve("target/it-logs/" + name + ".log");
        Files.createDirectories(log.getParent());
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> command = new ArrayList<>(List.of(java, "-Xmx384m"));
        String extra = System.getProperty("test.jvm-args", "").replace("{name}", name);
        if (!extra.isBlank()) {
            command.addAll(List.of(extra.trim().split("\\s+")));
        }
        command.addAll(List.of("-jar", jar.toString()));
        ProcessBuilder builder =
                new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().putAll(env);
        builder.environment().put("QUARKUS_HTTP_PORT", Integer.toString(port));
        builder.environment().put("QUARKUS_MANAGEMENT_PORT", Integer.toString(managementPort));
        DispatchProcess started = new DispatchProcess(name, builder.start(), port, managementPort, log);
        started.awaitReady(Duration.ofSeconds(120));
        return started;
    }

    private void awaitReady(Duration timeout) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException(name + " exited with " + process.exitValue() + ":\n" + tail());
            }
            try {
                var response = http.send(
                        HttpRequest.newBuilder(URI.create(managementUrl() + "/q/health/ready"))
                                .timeout(Duration.ofSeconds(2))
                                .build(),
                        HttpResponse.BodyHandlers.discarding());
                if (response.statusCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            }
            Thread.sleep(250);
        }
        throw new IllegalStateException(name + " not ready after " + timeout + ":\n" + tail());
    }

    /** The OS process id, e.g. to read its CPU time from /proc. */
    public long pid() {
        return process.pid();
    }

    /** http://localhost:port */
    public String baseUrl() {
        return "http://localhost:" + port;
    }

    /** The management interface (health, metrics): http://localhost:managementPort */
    public String managementUrl() {
        return "http://localhost:" + managementPort;
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    /** Kills the process the hard way (SIGKILL): no shutdown hooks, no drain, no goodbye. */
    public void kill9() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    /** The last lines of the process log. */
    public String tail() {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException e) {
            return "(no log)";
        }
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroy();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
    }
}
