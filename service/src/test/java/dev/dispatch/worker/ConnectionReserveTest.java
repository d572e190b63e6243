package dev.dispatch.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.dispatch.testing.Fleet;
import dev.dispatch.testing.Jobs;
import dev.dispatch.testing.OpenSshHosts;
import dev.dispatch.testing.Tenants;
import dev.dispatch.testing.TestPostgres;
import dev.dispatch.testing.TestServicesResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.path.json.JsonPath;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A worker with a pool far smaller than its runs, and a lease short enough to lose them quickly. */
@QuarkusTest
@TestProfile(ConnectionReserveTest.SmallPool.class)
class ConnectionReserveTest {

    /** Six connections (four reserved, two for runs), a 3 s lease renewed every 500 ms. */
    public static class SmallPool implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of(
                    "quarkus.datasource.jdbc.max-size",
                    "6",
                    "dispatch.worker.lease-timeout",
                    "3s",
                    "dispatch.worker.heartbeat-interval",
                    "500ms");
        }
    }

    @Test
    void runsStuckInTheDatabaseTogetherStillHaveTheirLeasesRenewed() throws Exception {
        Tenants tenant = Tenants.fresh();
        List<OpenSshHosts.Host> hosts = Fleet.get().hosts();
        tenant.registerHosts(hosts, Fleet.get().userPrivateKey());
        Path dir = Files.createTempDirectory("dispatch-reserve");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        byte[] content = "fetched by every host\n".getBytes();
        Path file = Files.write(dir.resolve("data.txt"), content);

        String jobId;
        // Every fetched file is registered as an artifact; while the table is locked each registration waits in
        // PostgreSQL holding its connection, well past the lease.
        try (Connection admin = TestPostgres.admin(TestServicesResource.DATABASE);
                Statement s = admin.createStatement()) {
            admin.setAutoCommit(false);
            s.execute("lock table artifact in share mode");
            jobId = Jobs.submit(
                    tenant,
                    Map.of(
                            "kind",
                            "fetch",
                            "targets",
                            Map.of(
                                    "hosts",
                                    hosts.stream().map(OpenSshHosts.Host::name).toList()),
                            "file",
                            Map.of("path", file.toString()),
                            "parallelism",
                            hosts.size(),
                            "timeout",
                            "PT60S"));
            await().atMost(Duration.ofSeconds(30)).until(() -> waitingOnArtifact(s) > 0);
            Thread.sleep(10_000);
            admin.rollback();
        }

        JsonPath job = Jobs.awaitFinished(tenant, jobId);
        assertThat(job.getMap("summary")).isEqualTo(Map.of("SUCCEEDED", hosts.size()));
        assertThat(job.getString("state")).isEqualTo("SUCCEEDED");
        String sha256 =
                HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
        assertThat(Jobs.runs(tenant, jobId))
                .hasSize(hosts.size())
                .allSatisfy(run -> assertThat(run)
                        .containsEntry("state", "SUCCEEDED")
                        .containsEntry("attempt", 1)
                        .containsEntry("artifact", sha256));
    }

    private static long waitingOnArtifact(Statement s) throws Exception {
        try (ResultSet rs = s.executeQuery("select count(*) from pg_locks l join pg_class c on c.oid = l.relation"
                + " where c.relname = 'artifact' and not l.granted")) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
