package dev.dispatch.job;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import dev.dispatch.testing.Fleet;
import dev.dispatch.testing.Jobs;
import dev.dispatch.testing.Tenants;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The claim itself, in an api-only process (no worker of its own claiming behind the test's back). */
@QuarkusTest
@TestProfile(ClaimTest.ApiOnly.class)
class ClaimTest {

    /** No worker in this process. */
    public static class ApiOnly implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("dispatch.role", "api");
        }
    }

    @Inject
    HostRunService runs;

    @Inject
    EntityManager em;

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
            assertThat(claimed)
                    .filteredOn(r -> r.tenantId().equals(busy.id))
                    .as("runs of the busy tenant claimed before the quiet tenant's only job")
                    .hasSizeLessThanOrEqualTo(1);
        } finally {
            for (ClaimedRun run : claimed) {
                runs.finish(
                        new RunLease(run.runId(), run.attempt()),
                        "fairness-test",
                        RunResult.failedBeforeStart(RunState.CANCELLED, "test cleanup", null, null, null));
                runs.completeIfFinished(run.jobId());
            }
            for (String job : busyJobs) {
                given().auth().oauth2(busy.token("dispatch-operator")).post("/api/v1/jobs/" + job + "/cancel");
            }
            given().auth().oauth2(quiet.token("dispatch-operator")).post("/api/v1/jobs/" + quietJob + "/cancel");
        }
    }

    @Test
    void aFreshJobsRunsOnHostsAnotherLiveWorkerHoldsAreLeftToThatWorkerUntilTheGraceEnds() {
        Tenants tenant = Tenants.fresh();
        tenant.putCredential("k", Fleet.get().userPrivateKey());
        List<String> hosts = List.of("a1", "a2", "a3", "a4");
        for (String h : hosts) {
            tenant.putHost(h, "127.0.0.1", 22, "k");
        }
        hint(tenant.id, "a1", "other-worker", Duration.ZERO);
        hint(tenant.id, "a2", "other-worker", Duration.ZERO);
        hint(tenant.id, "a2", "affinity-test", Duration.ZERO);
        hint(tenant.id, "a3", "dead-worker", Duration.ofMinutes(5));
        String job = Jobs.submit(tenant, Map.of("kind", "ping", "targets", Map.of("hosts", hosts)));
        Duration grace = Duration.ofMinutes(10);
        Duration freshness = Duration.ofSeconds(30);

        List<ClaimedRun> claimed = new ArrayList<>(claimAll("affinity-test", grace, freshness));
        try {
            assertThat(claimed)
                    .filteredOn(r -> r.tenantId().equals(tenant.id))
                    .extracting(ClaimedRun::hostName)
                    .as("a1 is left to the live worker holding it; a2 is held here too; a3's holder is gone")
                    .containsExactlyInAnyOrder("a2", "a3", "a4");
            List<ClaimedRun> late = claimAll("affinity-test", Duration.ZERO, freshness);
            claimed.addAll(late);
            assertThat(late)
                    .filteredOn(r -> r.tenantId().equals(tenant.id))
                    .extracting(ClaimedRun::hostName)
                    .as("without affinity (or once the grace is over) anyone takes it")
                    .containsExactly("a1");
        } finally {
            claimed.addAll(claimAll("affinity-test", Duration.ZERO, freshness));
            for (ClaimedRun run : claimed) {
                runs.finish(
                        new RunLease(run.runId(), run.attempt()),
                        "affinity-test",
                        RunResult.failedBeforeStart(RunState.CANCELLED, "test cleanup", null, null, null));
            }
            given().auth().oauth2(tenant.token("dispatch-operator")).post("/api/v1/jobs/" + job + "/cancel");
            clearHints(tenant.id);
        }
    }

    private List<ClaimedRun> claimAll(String worker, Duration grace, Duration freshness) {
        List<ClaimedRun> all = new ArrayList<>();
        List<ClaimedRun> next;
        while (!(next = runs.claim(worker, 10, grace, freshness)).isEmpty()) {
            all.addAll(next);
        }
        return all;
    }

    private void hint(String tenant, String host, String worker, Duration age) {
        QuarkusTransaction.requiringNew()
                .run(() -> em.createNativeQuery(
                                "insert into ssh_session_hint (tenant_id, host_name, worker_id, seen_at) "
                                        + "values (:t, :h, :w, now() - make_interval(secs => :age))")
                        .setParameter("t", tenant)
                        .setParameter("h", host)
                        .setParameter("w", worker)
                        .setParameter("age", (double) age.toSeconds())
                        .executeUpdate());
    }

    private void clearHints(String tenant) {
        QuarkusTransaction.requiringNew()
                .run(() -> em.createNativeQuery("delete from ssh_session_hint where tenant_id = :t")
                        .setParameter("t", tenant)
                        .executeUpdate());
    }
}
