package dev.dispatch.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.dispatch.job.HostRunService;
import dev.dispatch.job.RunLease;
import dev.dispatch.job.RunResult;
import dev.dispatch.job.RunState;
import dev.dispatch.testing.Fleet;
import dev.dispatch.testing.Jobs;
import dev.dispatch.testing.OpenSshHosts;
import dev.dispatch.testing.Tenants;
import io.agroal.api.AgroalDataSource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.io.IOException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;

@QuarkusTest
class FencingTest {
    @Inject
    AgroalDataSource db;

    @Inject
    HostRunService runs;

    @Test
    void lateResultOfALostAttemptIsRefusedAndTheRetryKeepsItsOwn() throws Exception {
        Tenants tenant = Tenants.fresh();
        UUID jobId = UUID.randomUUID();
        UUID runId = UUID.randomUUID();
        sql(
                "insert into tenant (id) values ('" + tenant.id + "')",
                "insert into job (id, tenant_id, kind, state, request, submitted_by, source, parallelism, host_count,"
                        + " retries, started_at) values ('" + jobId + "', '" + tenant.id + "', 'exec', 'RUNNING',"
                        + " '{\"kind\":\"exec\",\"command\":\"true\"}', 'test', 'test', 1, 1, 1, now())",
                "insert into host_run (id, job_id, tenant_id, host_name, ordinal, state, attempt, claimed_by,"
                        + " heartbeat_at, started_at) values ('" + runId + "', '" + jobId + "', '" + tenant.id
                        + "', 'h1', 0, 'RUNNING', 1, 'w-fenced', now() - interval '10 minutes',"
                        + " now() - interval '10 minutes')");

        runs.expireLeases(Duration.ofSeconds(30), Duration.ofMinutes(10));
        assertThat(column(runId, "state")).isEqualTo("QUEUED");
        assertThat(column(runId, "not_before > now() + interval '9 minutes'")).isEqualTo("t");
        // Attempt 2 goes to the very worker whose attempt 1 was declared LOST (the hardest case to fence).
        sql("update host_run set state = 'RUNNING', claimed_by = 'w-fenced', attempt = 2, heartbeat_at = now(),"
                + " not_before = null where id = '" + runId + "'");

        RunLease first = new RunLease(runId, 1);
        RunLease second = new RunLease(runId, 2);
        assertThat(runs.heartbeat("w-fenced", List.of(first, second))).containsExactly(second);
        assertThat(runs.finish(first, "w-fenced", succeeded("late attempt 1"))).isEqualTo(HostRunService.Finish.FENCED);
        assertThat(column(runId, "state")).isEqualTo("RUNNING");

        assertThat(runs.finish(second, "w-fenced", failed())).isEqualTo(HostRunService.Finish.RECORDED);
        assertThat(runs.finish(second, "w-fenced", failed())).isEqualTo(HostRunService.Finish.ALREADY_RECORDED);
        assertThat(column(runId, "state")).isEqualTo("FAILED");
        assertThat(column(runId, "attempt")).isEqualTo("2");
        assertThat(column(runId, "exit_code")).isEqualTo("7");
    }

    @Test
    void aGroupCommitFencesEachAttemptOnItsOwnAndRecordsTheRest() throws Exception {
        Tenants tenant = Tenants.fresh();
        UUID jobId = UUID.randomUUID();
        UUID current = UUID.randomUUID();
        UUID retried = UUID.randomUUID();
        UUID foreign = UUID.randomUUID();
        sql(
                "insert into tenant (id) values ('" + tenant.id + "')",
                "insert into job (id, tenant_id, kind, state, request, submitted_by, source, parallelism, host_count,"
                        + " retries, started_at) values ('" + jobId + "', '" + tenant.id + "', 'exec', 'RUNNING',"
                        + " '{\"kind\":\"exec\",\"command\":\"true\"}', 'test', 'test', 3, 3, 1, now())",
                run(current, jobId, tenant, "h1", 0, 1, "w-batch"),
                run(retried, jobId, tenant, "h2", 1, 2, "w-batch"),
                run(foreign, jobId, tenant, "h3", 2, 1, "w-other"));

        Map<RunLease, HostRunService.Finish> verdicts = runs.finishAll(
                "w-batch",
                List.of(
                        new HostRunService.Finishing(new RunLease(current, 1), failed()),
                        new HostRunService.Finishing(new RunLease(retried, 1), succeeded("late attempt 1")),
                        new HostRunService.Finishing(new RunLease(foreign, 1), succeeded("not ours"))));

        assertThat(verdicts)
                .containsExactly(
                        Map.entry(new RunLease(current, 1), HostRunService.Finish.RECORDED),
                        Map.entry(new RunLease(retried, 1), HostRunService.Finish.FENCED),
                        Map.entry(new RunLease(foreign, 1), HostRunService.Finish.FENCED));
        assertThat(column(current, "state || '/' || exit_code")).isEqualTo("FAILED/7");
        assertThat(column(retried, "state || '/' || attempt")).isEqualTo("RUNNING/2");
        assertThat(column(foreign, "state || '/' || claimed_by")).isEqualTo("RUNNING/w-other");
        // A retry of the same batch after a commit the caller did not see changes nothing.
        assertThat(runs.finishAll("w-batch", List.of(new HostRunService.Finishing(new RunLease(current, 1), failed()))))
                .containsExactly(Map.entry(new RunLease(current, 1), HostRunService.Finish.ALREADY_RECORDED));
        assertThat(column(current, "state || '/' || exit_code")).isEqualTo("FAILED/7");
    }

    private static String run(UUID id, UUID jobId, Tenants tenant, String host, int ordinal, int attempt, String by) {
        return "insert into host_run (id, job_id, tenant_id, host_name, ordinal, state, attempt, claimed_by,"
                + " heartbeat_at, started_at) values ('" + id + "', '" + jobId + "', '" + tenant.id + "', '" + host
                + "', " + ordinal + ", 'RUNNING', " + attempt + ", '" + by + "', now(), now())";
    }

    @Test
    void aRunDeclaredLostIsStoppedOnItsHostAndItsResultDropped() throws Exception {
        Tenants tenant = Tenants.fresh();
        OpenSshHosts.Host host = Fleet.get().hosts().get(3);
        tenant.registerHosts(List.of(host), Fleet.get().userPrivateKey());
        String marker = "600." + ThreadLocalRandom.current().nextInt(100_000, 999_999);

        String jobId = Jobs.submit(
                tenant,
                Map.of("kind", "exec", "targets", Map.of("hosts", List.of(host.name())), "command", "sleep " + marker));
        await().atMost(Duration.ofSeconds(20)).until(() -> remoteProcesses(marker) > 0);
        // What another worker's reaper does when this worker's renewals stop reaching the database.
        sql("update host_run set state = 'LOST', finished_at = now(), error = 'declared lost by the test'"
                + " where job_id = '" + jobId + "'");

        await().atMost(Duration.ofSeconds(15)).until(() -> remoteProcesses(marker) == 0);
        Map<String, Object> run = Jobs.onlyRun(tenant, jobId);
        assertThat(run).containsEntry("state", "LOST").containsEntry("error", "declared lost by the test");
    }

    private static RunResult succeeded(String error) {
        return new RunResult(
                RunState.SUCCEEDED,
                0,
                null,
                error,
                "127.0.0.1",
                22,
                "root",
                null,
                RunResult.StoredStream.EMPTY,
                RunResult.StoredStream.EMPTY,
                null);
    }

    private static RunResult failed() {
        return new RunResult(
                RunState.FAILED,
                7,
                null,
                "exit code 7",
                "127.0.0.1",
                22,
                "root",
                null,
                RunResult.StoredStream.EMPTY,
                RunResult.StoredStream.EMPTY,
                null);
    }

    static long remoteProcesses(String marker) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("pgrep", "-f", "sleep " + marker)
                .redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes()).strip();
        p.waitFor();
        return out.isEmpty() ? 0 : out.lines().count();
    }

    private String column(UUID runId, String name) throws Exception {
        try (Connection c = db.getConnection();
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("select " + name + " from host_run where id = '" + runId + "'")) {
            rs.next();
            return rs.getString(1);
        }
    }

    private void sql(String... statements) throws Exception {
        try (Connection c = db.getConnection();
                Statement s = c.createStatement()) {
            for (String statement : statements) {
                s.execute(statement);
            }
        }
    }
}
