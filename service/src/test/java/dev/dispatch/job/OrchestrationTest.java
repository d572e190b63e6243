package dev.dispatch.job;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;

import dev.dispatch.testing.Fleet;
import dev.dispatch.testing.Jobs;
import dev.dispatch.testing.OpenSshHosts;
import dev.dispatch.testing.Tenants;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

@QuarkusTest
class OrchestrationTest {
    private final OpenSshHosts fleet = Fleet.get();

    private List<String> register(Tenants tenant, int from, int to) {
        List<OpenSshHosts.Host> hosts = fleet.hosts().subList(from, to);
        tenant.registerHosts(hosts, fleet.userPrivateKey());
        return hosts.stream().map(OpenSshHosts.Host::name).toList();
    }

    private static Map<String, Object> exec(List<String> hosts, String command, Object... extra) {
        Map<String, Object> body =
                new HashMap<>(Map.of("kind", "exec", "targets", Map.of("hosts", hosts), "command", command));
        for (int i = 0; i < extra.length; i += 2) {
            body.put((String) extra[i], extra[i + 1]);
        }
        return body;
    }

    @Test
    void maxFailuresSkipsTheRestAndFailsTheJob() {
        Tenants tenant = Tenants.fresh();
        List<String> hosts = register(tenant, 0, 6);

        String jobId = Jobs.submit(tenant, exec(hosts, "exit 7", "parallelism", 1, "maxFailures", 2));

        JsonPath job = Jobs.awaitFinished(tenant, jobId);
        assertThat(job.getString("state")).isEqualTo("FAILED");
        assertThat(job.getMap("summary")).containsEntry("FAILED", 2).containsEntry("SKIPPED", 4);
        List<Map<String, Object>> runs = Jobs.runs(tenant, jobId);
        assertThat(runs.subList(0, 2)).allSatisfy(r -> assertThat(r).containsEntry("exitCode", 7));
        assertThat(runs.subList(2, 6))
                .allSatisfy(r -> assertThat(r).containsEntry("state", "SKIPPED").doesNotContainKey("startedAt"));
    }

    @Test
    void concurrentFailuresStopTheJobAtMaxFailures() {
        Tenants tenant = Tenants.fresh();
        List<String> hosts = register(tenant, 0, 20);

        String jobId = Jobs.submit(tenant, exec(hosts, "exit 7", "parallelism", 10, "maxFailures", 3));

        JsonPath job = Jobs.awaitFinished(tenant, jobId);
        assertThat(job.getString("state")).isEqualTo("FAILED");
        Map<String, Integer> summary = job.getMap("summary");
        assertThat(summary.keySet()).containsOnly("FAILED", "SKIPPED");
        assertThat(summary.get("FAILED") + summary.get("SKIPPED")).isEqualTo(20);
        // Ten run at once; until the third failure is recorded, each of the first two may free a slot for one more.
        assertThat(summary.get("FAILED")).isBetween(3, 12);
    }

    @Test
    void batchesRunOneAfterAnother() {
        Tenants tenant = Tenants.fresh();
        List<String> hosts = register(tenant, 6, 12);

        String jobId = Jobs.submit(
                tenant, exec(hosts, "date +%s%N; sleep 0.3; date +%s%N", "parallelism", 10, "batchSize", 2));

        assertThat(Jobs.awaitFinished(tenant, jobId).getString("state")).isEqualTo("SUCCEEDED");
        List<long[]> spans = new ArrayList<>();
        for (String host : hosts) {
            String[] lines = Jobs.stdout(tenant, jobId, host).strip().split("\n");
            spans.add(new long[] {Long.parseLong(lines[0]), Long.parseLong(lines[1])});
        }
        for (int batch = 1; batch < 3; batch++) {
            long previousEnd = Math.max(spans.get(2 * batch - 2)[1], spans.get(2 * batch - 1)[1]);
            long start = Math.min(spans.get(2 * batch)[0], spans.get(2 * batch + 1)[0]);
            assertThat(start)
                    .as("batch %d starts after batch %d ended", batch, batch - 1)
                    .isGreaterThan(previousEnd);
        }
    }

    @Test
    void cancelStopsTheRunningCommandAndSkipsTheQueue() {
        Tenants tenant = Tenants.fresh();
        List<String> hosts = register(tenant, 12, 15);
        String jobId = Jobs.submit(tenant, exec(hosts, "echo started; sleep 600", "parallelism", 1));
        await().atMost(Duration.ofSeconds(20))
                .until(() -> Jobs.runs(tenant, jobId).get(0).get("state").equals("RUNNING"));

        given().auth()
                .oauth2(tenant.token("dispatch-operator"))
                .post("/api/v1/jobs/" + jobId + "/cancel")
                .then()
                .statusCode(202)
                .body("cancelRequested", equalTo(true));

        JsonPath job = Jobs.awaitFinished(tenant, jobId);
        assertThat(job.getString("state")).isEqualTo("CANCELLED");
        assertThat(job.getMap("summary")).containsEntry("CANCELLED", 1).containsEntry("SKIPPED", 2);
        given().auth()
                .oauth2(tenant.token("dispatch-operator"))
                .post("/api/v1/jobs/" + jobId + "/cancel")
                .then()
                .statusCode(409)
                .body("type", equalTo("https://dispatch.dev/problems/job-ended"));
    }

    @Test
    void retriesRepeatUnreachableRunsAndRetryResubmitsOnlyTheFailedHosts() {
        Tenants tenant = Tenants.fresh();
        List<String> hosts = new ArrayList<>(register(tenant, 15, 17));
        tenant.putHost("down", "127.0.0.1", OpenSshHosts.closedPort(), "key");
        tenant.putKnownHost("down", fleet.hosts().get(0).hostKeyLine());
        hosts.add("down");

        String jobId = Jobs.submit(tenant, exec(hosts, "true", "retries", 2));

        JsonPath job = Jobs.awaitFinished(tenant, jobId);
        assertThat(job.getMap("summary")).containsEntry("SUCCEEDED", 2).containsEntry("UNREACHABLE", 1);
        assertThat(Jobs.runs(tenant, jobId).get(2))
                .containsEntry("state", "UNREACHABLE")
                .containsEntry("attempt", 3);
        assertThat(Jobs.runs(tenant, jobId).get(0)).containsEntry("attempt", 1);

        String retryId = given().auth()
                .oauth2(tenant.token("dispatch-operator"))
                .contentType(ContentType.JSON)
                .body(Map.of())
                .post("/api/v1/jobs/" + jobId + "/retry")
                .then()
                .statusCode(202)
                .body("retryOf", equalTo(jobId))
                .body("hostCount", equalTo(1))
                .extract()
                .path("id");
        Jobs.awaitFinished(tenant, retryId);
        assertThat(Jobs.onlyRun(tenant, retryId)).containsEntry("host", "down");
    }

    @Test
    void dryRunResolvesTargetsAndStoresNothing() {
        Tenants tenant = Tenants.fresh();
        List<String> hosts = register(tenant, 17, 20);

        given().auth()
                .oauth2(tenant.token("dispatch-operator"))
                .contentType(ContentType.JSON)
                .body(exec(hosts, "reboot", "batchSize", 2))
                .post("/api/v1/jobs?dryRun=true")
                .then()
                .statusCode(200)
                .body("dryRun", equalTo(true))
                .body("hosts", equalTo(hosts))
                .body("batches", equalTo(2));
        given().auth()
                .oauth2(tenant.token("dispatch-operator"))
                .contentType(ContentType.JSON)
                .body(exec(List.of("missing"), "reboot"))
                .post("/api/v1/jobs?dryRun=true")
                .then()
                .statusCode(400);
    }
}
