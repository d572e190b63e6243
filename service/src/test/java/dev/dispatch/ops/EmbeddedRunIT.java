package dev.dispatch.ops;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The README's first command, {@code bin/dispatch-local --demo-hosts 3}, with a fresh {@code DISPATCH_HOME} and its
 * own free ports (never 5432 or the test broker's): embedded PostgreSQL, the project's Kafka, the packaged service and
 * three in-process SSH hosts come up; the printed curl body runs on all three; SIGTERM leaves no process behind.
 */
class EmbeddedRunIT {
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(240);
    private static Path project;
    private static Path home;
    private static Path log;
    private static Process launcher;
    private static int httpPort;
    private static int pgPort;
    private static int kafkaPort;
    private static final List<ProcessHandle> started = new ArrayList<>();

    @BeforeAll
    static void startTheReadmeCommand() throws Exception {
        project = Path.of(System.getProperty("test.project.dir", ".")).toAbsolutePath();
        Path work = project.resolve("target/embedded-it");
        deleteRecursively(work);
        home = Files.createDirectories(work.resolve("home"));
        log = work.resolve("dispatch-local.log");
        reuseKafkaJars();
        httpPort = freePort();
        pgPort = freePort();
        kafkaPort = freePortPair();

        ProcessBuilder builder = new ProcessBuilder(
                        project.resolve("bin/dispatch-local").toString(), "--demo-hosts", "3")
                .directory(project.toFile())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile());
        Map<String, String> env = builder.environment();
        env.keySet()
                .removeIf(name -> name.startsWith("DISPATCH_")
                        || name.startsWith("QUARKUS_")
                        || name.startsWith("KAFKA_")
                        || name.startsWith("MP_"));
        env.put("DISPATCH_HOME", home.toString());
        env.put("QUARKUS_HTTP_PORT", Integer.toString(httpPort));
        env.put("QUARKUS_MANAGEMENT_PORT", Integer.toString(freePort()));
        env.put("DISPATCH_EMBEDDED_PG_PORT", Integer.toString(pgPort));
        env.put("DISPATCH_KAFKA_PORT", Integer.toString(kafkaPort));
        // this build just packaged the service; a nested ./mvnw package must not rewrite target/ under it
        env.put("DISPATCH_SKIP_BUILD", "1");
        launcher = builder.start();
        awaitReady();
        rememberProcesses();
    }

    /** The broker jars the test run's own Kafka already copied: linked, to spare a second ~30 s copy. */
    private static void reuseKafkaJars() throws IOException {
        String testHome = System.getenv("DISPATCH_HOME");
        Path kafka = (testHome == null || testHome.isBlank() ? project.resolve(".dispatch") : Path.of(testHome))
                .resolve("kafka");
        if (!Files.isDirectory(kafka)) {
            return;
        }
        try (Stream<Path> dirs = Files.list(kafka)) {
            for (Path lib : dirs.filter(d ->
                            d.getFileName().toString().matches("lib-[0-9.]+") && Files.exists(d.resolve(".complete")))
                    .toList()) {
                Path link = Files.createDirectories(home.resolve("kafka")).resolve(lib.getFileName());
                Files.createSymbolicLink(link, lib.toAbsolutePath());
            }
        }
    }

    @AfterAll
    static void leaveNothingRunning() throws Exception {
        if (launcher != null && launcher.isAlive()) {
            launcher.destroy();
            launcher.waitFor(90, TimeUnit.SECONDS);
        }
        for (ProcessHandle process : started) {
            process.destroyForcibly();
        }
    }

    @Test
    void runsThePrintedJobOnTheDemoHostsAndStopsEverything() throws Exception {
        String banner = Files.readString(log);
        String curl = banner.lines()
                .filter(l -> l.contains("curl -si -X POST"))
                .findFirst()
                .orElseThrow();
        String body = curl.substring(curl.indexOf("-d '") + 4, curl.lastIndexOf('\''));
        String operator =
                Files.readString(home.resolve("keys/demo-operator.token")).strip();
        assertThat(banner)
                .contains("http://localhost:" + httpPort + "/q/swagger-ui")
                .contains(Files.readString(home.resolve("keys/admin.token")).strip())
                .contains(operator);

        String jobId = given().baseUri(base())
                .auth()
                .oauth2(operator)
                .contentType(ContentType.JSON)
                .body(body)
                .post("/api/v1/jobs")
                .then()
                .statusCode(202)
                .extract()
                .path("id");
        JsonPath job = awaitFinished(operator, jobId);
        assertThat(job.getString("state")).isEqualTo("SUCCEEDED");
        assertThat(job.getMap("summary")).containsExactly(Map.entry("SUCCEEDED", 3));
        for (String host : List.of("demo-1", "demo-2", "demo-3")) {
            assertThat(given().baseUri(base())
                            .auth()
                            .oauth2(operator)
                            .get("/api/v1/jobs/" + jobId + "/runs/" + host + "/output")
                            .then()
                            .statusCode(200)
                            .extract()
                            .asString())
                    .startsWith("hello from " + host + "\n");
        }
        String admin = Files.readString(home.resolve("keys/admin.token")).strip();
        given().baseUri(base())
                .auth()
                .oauth2(admin)
                .get("/api/v1/jobs/" + jobId)
                .then()
                .statusCode(404);

        launcher.destroy();
        assertThat(launcher.waitFor(90, TimeUnit.SECONDS))
                .as("dispatch-local stops within 90 s")
                .isTrue();
        await().atMost(Duration.ofSeconds(15))
                .untilAsserted(() -> assertThat(started)
                        .as("service, PostgreSQL and Kafka processes")
                        .allSatisfy(p -> assertThat(gone(p))
                                .as("pid %d %s", p.pid(), p.info().commandLine().orElse(""))
                                .isTrue()));
        assertThat(List.of(httpPort, pgPort, kafkaPort))
                .allSatisfy(
                        port -> assertThat(listening(port)).as("port %d", port).isFalse());
        assertThat(home.resolve("embedded/pg/postmaster.pid")).doesNotExist();
        assertThat(home.resolve("kafka/kafka.pid")).doesNotExist();
    }

    private static String base() {
        return "http://localhost:" + httpPort;
    }

    private static void awaitReady() throws Exception {
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (Files.readString(log).contains("dispatch is ready:")) {
                return;
            }
            if (!launcher.isAlive()) {
                throw new IllegalStateException(
                        "bin/dispatch-local exited with " + launcher.exitValue() + ":\n" + tail());
            }
            Thread.sleep(250);
        }
        throw new IllegalStateException("bin/dispatch-local not ready after " + READY_TIMEOUT + ":\n" + tail());
    }

    /** The launcher and its children (the service), the postmaster and its workers, and the Kafka broker. */
    private static void rememberProcesses() throws IOException {
        ProcessHandle self = launcher.toHandle();
        started.add(self);
        self.descendants().forEach(started::add);
        Optional<ProcessHandle> postmaster = pidIn(home.resolve("embedded/pg/postmaster.pid"));
        Optional<ProcessHandle> kafka = pidIn(home.resolve("kafka/kafka.pid"));
        assertThat(postmaster).as("embedded PostgreSQL running").isPresent();
        assertThat(kafka).as("Kafka running").isPresent();
        started.add(postmaster.get());
        postmaster.get().descendants().forEach(started::add);
        started.add(kafka.get());
        assertThat(started.stream().map(p -> p.info().commandLine().orElse("")))
                .anyMatch(c -> c.contains("quarkus-run.jar"));
    }

    private static Optional<ProcessHandle> pidIn(Path file) throws IOException {
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        String first = Files.readAllLines(file).get(0).strip();
        return ProcessHandle.of(Long.parseLong(first));
    }

    private static JsonPath awaitFinished(String token, String jobId) {
        JsonPath[] last = new JsonPath[1];
        await().atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(200))
                .until(() -> {
                    last[0] = given().baseUri(base())
                            .auth()
                            .oauth2(token)
                            .get("/api/v1/jobs/" + jobId)
                            .then()
                            .statusCode(200)
                            .extract()
                            .jsonPath();
                    return List.of("SUCCEEDED", "FAILED", "CANCELLED").contains(last[0].getString("state"));
                });
        return last[0];
    }

    /** Exited; a zombie counts too (an orphan's exit status waits for init to collect it). */
    private static boolean gone(ProcessHandle process) {
        if (!process.isAlive()) {
            return true;
        }
        try {
            String stat = Files.readString(Path.of("/proc/" + process.pid() + "/stat"));
            char state = stat.charAt(stat.lastIndexOf(')') + 2);
            return state == 'Z' || state == 'X';
        } catch (IOException e) {
            return true;
        }
    }

    private static boolean listening(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    /** A free port whose successor is free too (Kafka's controller listens on port + 1). */
    private static int freePortPair() throws IOException {
        for (int attempt = 0; attempt < 50; attempt++) {
            int port = freePort();
            if (port < 65535) {
                try (ServerSocket next = new ServerSocket(port + 1)) {
                    return port;
                } catch (IOException e) {
                    // taken; try another
                }
            }
        }
        throw new IllegalStateException("no two adjacent free ports");
    }

    private static String tail() throws IOException {
        List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 60), lines.size()));
    }

    private static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
