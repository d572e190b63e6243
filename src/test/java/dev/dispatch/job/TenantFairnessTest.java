package dev.dispatch.job;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import dev.dispatch.testing.Fleet;
import dev.dispatch.testing.Jobs;
import dev.dispatch.testing.Tenants;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The claim itself, in an api-only process (no worker of its own claiming behind the test's back). */
@QuarkusTest
@TestProfile(TenantFairnessTest.ApiOnly.class)
class TenantFairnessTest {

    /** No worker in this process. */
    public static class ApiOnly implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("dispatch.role", "api");
        }
    }

    @Inject
    HostRunService runs;

    @Test
    void aTenantWithManyQueuedJobsDoesNotCrowdOutAnotherTenantsSingleJob() {
        Tenants busy = Tenants.fresh();
        Tenants quiet = Tenants.fresh();
        for (Tenants t : List.of(busy, quiet)) {
            t.putCredential("k", Fleet.get().userPrivateKey());
            t.putHost("h", "127.0.0.1", 22, "k");
        }
        List<String> busyJobs = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            busyJobs.add(Jobs.submit(busy, Map.of("kind", "ping", "targets", Map.of("hosts", List.of("h")))));
        }
        String quietJob = Jobs.submit(quiet, Map.of("kind", "ping", "targets", Map.of("hosts", List.of("h"))));

        List<ClaimedRun> claimed = new ArrayList<>();
        try {
            while (claimed.stream().noneMatch(r -> r.jobId().toString().equals(quietJob))) {
                List<ClaimedRun> next = runs.claim("fairness-test", 1);
                assertThat(next).as("queued runs left to claim").isNotEmpty();
                claimed.addAll(next);
            }
            assertThat(claimed).filteredOn(r -> r.tenantId().equals(busy.id))
                    .as("runs of the busy tenant claimed before the quiet tenant's only job").hasSizeLessThanOrEqualTo(1);
        } finally {
            for (ClaimedRun run : claimed) {
                runs.finish(run.runId(), "fairness-test",
                        RunResult.failedBeforeStart(RunState.CANCELLED, "test cleanup", null, null, null));
                runs.completeIfFinished(run.jobId());
            }
            for (String job : busyJobs) {
                given().auth().oauth2(busy.token("dispatch-operator")).post("/api/v1/jobs/" + job + "/cancel");
            }
            given().auth().oauth2(quiet.token("dispatch-operator")).post("/api/v1/jobs/" + quietJob + "/cancel");
        }
    }
}
