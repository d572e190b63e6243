package dev.dispatch.worker;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.dispatch.testing.DispatchProcess;
import dev.dispatch.testing.OpenSshHosts;
import dev.dispatch.testing.TestServicesResource;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two dispatch processes built from the packaged jar share one job; one is killed with SIGKILL mid-run. Every host
 * appends a marker line per execution to a file, so "executed at most once" is checked on the targets themselves.
 */
class WorkerCrashIT {
    private static final int HOSTS = 16;
    private static TestServicesResource services;
    private static Map<String, String> config;
    private static OpenSshHosts fleet;
    private static DispatchProcess api;

    @TempDir
    static Path work;

    @BeforeAll
    static void startEverything() throws Exception {
        Assumptions.assumeTrue(
                "local".equals(System.getProperty("test.services", "local")),
                "crash test runs against the project's local services");
        services = new TestServicesResource();
        config = services.start();
        fleet = OpenSshHosts.start(HOSTS, Files.createDirectories(work.resolve("fleet")));
        Map<String, String> apiEnv = env("all", "worker-a");
        apiEnv.put("DISPATCH_WORKER_MAX_CONCURRENT_RUNS", "4");
        api = DispatchProcess.start("crash-api", apiEnv);
    }

    @AfterAll
    static void stopEverything() throws Exception {
        if (api != null) {
            api.close();
        }
        if (fleet != null) {
            fleet.close();
        }
        if (services != null) {
            services.stop();
        }
    }

    private static Map<String, String> env(String role, String workerId) {
        Map<String, String> env = DispatchProcess.env(config, role, workerId);
        // Long enough that a live worker on a loaded 2-core machine never loses its lease; short enough to wait for.
        env.put("DISPATCH_WORKER_LEASE_TIMEOUT", "10s");
        env.put("DISPATCH_WORKER_HEARTBEAT_INTERVAL", "1s");
        env.put("DISPATCH_WORKER_REAPER_INTERVAL", "1s");
        env.put("DISPATCH_WORKER_POLL_INTERVAL", "100ms");
        return env;
    }

    private static String token(String tenant) throws Exception {
        return DispatchProcess.adminToken(config, tenant, "crash-test");
    }

    private static long runsHeldBy(String jobId, String worker) throws Exception {
        try (Connection c = DriverManager.getConnection(
                        config.get("quarkus.datasource.jdbc.url"), config.get("quarkus.datasource.username"), null);
                PreparedStatement s = c.prepareStatement("select count(*) from host_run where job_id = ?::uuid"
                        + " and claimed_by = ? and state = 'RUNNING'")) {
            s.setString(1, jobId);
            s.setString(2, worker);
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    private JsonPath runJobAndKillSecondWorker(String tenant, int retries, Path markers) throws Exception {
        String token = token(tenant);
        List<String> hosts = api.register(token, fleet);
        Files.createDirectories(markers);
        String command = "echo ran >> " + markers + "/$(echo $SSH_CONNECTION | cut -d' ' -f3); sleep 3";
        try (DispatchProcess worker = DispatchProcess.start("crash-worker-" + retries, env("worker", "worker-b"))) {
            String jobId = given().baseUri(api.baseUrl())
                    .auth()
                    .oauth2(token)
                    .contentType(ContentType.JSON)
                    .body(Map.of(
                            "kind",
                            "exec",
                            "targets",
                            Map.of("hosts", hosts),
                            "command",
                            command,
                            "parallelism",
                            HOSTS,
                            "retries",
                            retries))
                    .post("/api/v1/jobs")
                    .then()
                    .statusCode(202)
                    .extract()
                    .path("id");
            await().atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(50))
                    .until(() -> runsHeldBy(jobId, "worker-b") >= 2 && markerFiles(markers) >= 6);
            worker.kill9();
            await().atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofMillis(250))
                    .until(() -> List.of("SUCCEEDED", "FAILED")
                            .contains(given().baseUri(api.baseUrl())
                                    .auth()
                                    .oauth2(token)
                                    .get("/api/v1/jobs/" + jobId)
                                    .then()
                                    .extract()
                                    .path("state")));
            return given().baseUri(api.baseUrl())
                    .auth()
                    .oauth2(token)
                    .get("/api/v1/jobs/" + jobId + "/runs")
                    .then()
                    .statusCode(200)
                    .extract()
                    .jsonPath();
        }
    }

    @Test
    void sigtermDrainsThenCancelsSoNoRunIsLeftRunningOrLost() throws Exception {
        String token = token("crash-c");
        List<String> hosts = api.register(token, fleet);
        Map<String, String> env = env("worker", "worker-c");
        env.put("DISPATCH_WORKER_DRAIN_TIMEOUT", "2s");
        try (DispatchProcess worker = DispatchProcess.start("drain-worker", env)) {
            drainAndCheck(token, hosts, worker);
        }
    }

    private void drainAndCheck(String token, List<String> hosts, DispatchProcess worker) throws Exception {
        String jobId = given().baseUri(api.baseUrl())
                .auth()
                .oauth2(token)
                .contentType(ContentType.JSON)
                .body(Map.of(
                        "kind", "exec", "targets", Map.of("hosts", hosts), "command", "sleep 6", "parallelism", HOSTS))
                .post("/api/v1/jobs")
                .then()
                .statusCode(202)
                .extract()
                .path("id");
        await().atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(50))
                .until(() -> runsHeldBy(jobId, "worker-c") >= 2);
        worker.close();

        assertThat(runsHeldBy(jobId, "worker-c"))
                .as("runs still RUNNING under the stopped worker")
                .isZero();
        await().atMost(Duration.ofSeconds(90))
                .pollInterval(Duration.ofMillis(250))
                .until(() -> List.of("SUCCEEDED", "FAILED")
                        .contains(given().baseUri(api.baseUrl())
                                .auth()
                                .oauth2(token)
                                .get("/api/v1/jobs/" + jobId)
                                .then()
                                .extract()
                                .path("state")));
        List<Map<String, Object>> runs = given().baseUri(api.baseUrl())
                .auth()
                .oauth2(token)
                .get("/api/v1/jobs/" + jobId + "/runs")
                .then()
                .extract()
                .jsonPath()
                .getList("$");
        assertThat(runs).allSatisfy(r -> assertThat(r.get("state")).isIn("SUCCEEDED", "CANCELLED"));
        assertThat(runs).anySatisfy(r -> assertThat(r.get("state")).isEqualTo("CANCELLED"));
    }

    private static long markerFiles(Path markers) throws Exception {
        try (var files = Files.list(markers)) {
            return files.count();
        }
    }

    private static Map<String, Integer> markerLines(Path markers) throws Exception {
        Map<String, Integer> lines = new HashMap<>();
        for (OpenSshHosts.Host h : fleet.hosts()) {
            Path file = markers.resolve(h.address());
            lines.put(h.name(), Files.exists(file) ? Files.readAllLines(file).size() : 0);
        }
        return lines;
    }

    @Test
    void killedWorkersRunsEndLostAndNothingRunsTwice() throws Exception {
        Path markers = work.resolve("markers-no-retry");
        JsonPath runs = runJobAndKillSecondWorker("crash-a", 0, markers);

        List<Map<String, Object>> all = runs.getList("$");
        List<Map<String, Object>> lost =
                all.stream().filter(r -> "LOST".equals(r.get("state"))).toList();
        assertThat(lost).as("runs of the killed worker").isNotEmpty();
        assertThat(all).allSatisfy(r -> assertThat(r.get("state")).isIn("SUCCEEDED", "LOST"));
        assertThat(all).allSatisfy(r -> assertThat(r.get("attempt")).isEqualTo(1));
        Map<String, Integer> lines = markerLines(markers);
        assertThat(lines.values())
                .as("executions per host")
                .allSatisfy(n -> assertThat(n).isLessThanOrEqualTo(1));
        assertThat(all)
                .filteredOn(r -> "SUCCEEDED".equals(r.get("state")))
                .allSatisfy(r -> assertThat(lines.get((String) r.get("host"))).isEqualTo(1));
        assertThat(lost)
                .as("a LOST run that had started is not run again")
                .anySatisfy(r -> assertThat(lines.get((String) r.get("host"))).isEqualTo(1));
    }

    @Test
    void withRetriesLostRunsRunAgainOnTheSurvivingWorker() throws Exception {
        Path markers = work.resolve("markers-retry");
        JsonPath runs = runJobAndKillSecondWorker("crash-b", 1, markers);

        List<Map<String, Object>> all = runs.getList("$");
        assertThat(all).allSatisfy(r -> assertThat(r.get("state")).isEqualTo("SUCCEEDED"));
        Map<String, Integer> lines = markerLines(markers);
        for (Map<String, Object> run : all) {
            int attempts = (Integer) run.get("attempt");
            assertThat(lines.get((String) run.get("host")))
                    .as("executions on %s", run.get("host"))
                    .isBetween(1, attempts);
        }
        assertThat(all).anySatisfy(r -> {
            assertThat(r.get("attempt")).isEqualTo(2);
            assertThat(lines.get((String) r.get("host"))).isEqualTo(2);
        });
    }
}
