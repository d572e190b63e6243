package dev.dispatch.worker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.dispatch.testing.Jobs;
import dev.dispatch.testing.Tenants;
import io.agroal.api.AgroalDataSource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.Statement;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

@QuarkusTest
class LeaseExpiryTest {
    @Inject
    AgroalDataSource db;

    @Test
    void runOfADeadWorkerEndsLostAndItsJobFinishes() throws Exception {
        Tenants tenant = Tenants.fresh();
        UUID jobId = UUID.randomUUID();
        try (Connection c = db.getConnection();
                Statement s = c.createStatement()) {
            s.execute("insert into tenant (id) values ('" + tenant.id + "')");
            s.execute("insert into job (id, tenant_id, kind, state, request, submitted_by, source, parallelism,"
                    + " host_count, started_at) values ('" + jobId + "', '" + tenant.id + "', 'exec', 'RUNNING',"
                    + " '{\"kind\":\"exec\",\"command\":\"true\"}', 'test', 'test', 1, 1, now())");
            s.execute("insert into host_run (id, job_id, tenant_id, host_name, ordinal, state, attempt, claimed_by,"
                    + " heartbeat_at, started_at) values ('" + UUID.randomUUID() + "', '" + jobId + "', '" + tenant.id
                    + "', 'h1', 0, 'RUNNING', 1, 'dead-worker', now() - interval '10 minutes',"
                    + " now() - interval '10 minutes')");
        }

        JsonPath job = Jobs.awaitFinished(tenant, jobId.toString());
        assertThat(job.getString("state")).isEqualTo("FAILED");
        assertThat(job.getMap("summary")).isEqualTo(Map.of("LOST", 1));
        var run = Jobs.onlyRun(tenant, jobId.toString());
        assertThat(run).containsEntry("state", "LOST").containsEntry("attempt", 1);
        assertThat((String) run.get("error")).contains("dead-worker");
    }
}
