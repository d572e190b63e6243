package dev.dispatch.worker;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.dispatch.testing.DatabaseOutage;
import dev.dispatch.testing.Fleet;
import dev.dispatch.testing.Jobs;
import dev.dispatch.testing.OpenSshHosts;
import dev.dispatch.testing.Tenants;
import dev.dispatch.testing.TestPostgres;
import dev.dispatch.testing.TestServicesResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.smallrye.reactive.messaging.kafka.companion.ConsumerTask;
import io.smallrye.reactive.messaging.kafka.companion.KafkaCompanion;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

@QuarkusTest
class DatabaseBlipTest {
    @Test
    void everyRequestAfterTheDatabaseDroppedAllConnectionsSucceeds() throws Exception {
        Tenants tenant = Tenants.fresh();
        String token = tenant.token("dispatch-viewer");
        List<Callable<Integer>> burst = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            burst.add(() -> given().auth().oauth2(token).get("/api/v1/jobs").statusCode());
        }
        try (ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
            for (Future<Integer> status : clients.invokeAll(burst)) {
                assertThat(status.get()).isEqualTo(200);
            }
        }

        DatabaseOutage.terminateConnections();

        List<Integer> statuses = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            statuses.add(given().auth().oauth2(token).get("/api/v1/jobs").statusCode());
        }
        assertThat(statuses).containsOnly(200);
    }

    @Test
    void aDatabaseOutageShorterThanTheLeaseLosesNoRun() throws Exception {
        Tenants tenant = Tenants.fresh();
        List<OpenSshHosts.Host> hosts = Fleet.get().hosts().subList(8, 14);
        tenant.registerHosts(hosts, Fleet.get().userPrivateKey());

        try (KafkaCompanion kafka = new KafkaCompanion(Tenants.kafkaBootstrap())) {
            ConsumerTask<String, String> results = kafka.consumeStrings().fromTopics("dispatch.host-results.v1");
            String jobId = Jobs.submit(
                    tenant,
                    Map.of(
                            "kind",
                            "exec",
                            "targets",
                            Map.of(
                                    "hosts",
                                    hosts.stream().map(OpenSshHosts.Host::name).toList()),
                            "command",
                            "sleep 5; echo survived",
                            "parallelism",
                            hosts.size()));
            await().atMost(Duration.ofSeconds(20))
                    .until(() -> Jobs.runs(tenant, jobId).stream().allMatch(r -> "RUNNING".equals(r.get("state"))));

            // Every run finishes while the database is gone; the outage is a third of the 30 s lease.
            try (DatabaseOutage outage = DatabaseOutage.start()) {
                Thread.sleep(10_000);
            }

            JsonPath job = Jobs.awaitFinished(tenant, jobId);
            assertThat(job.getString("state")).isEqualTo("SUCCEEDED");
            assertThat(job.getMap("summary")).isEqualTo(Map.of("SUCCEEDED", hosts.size()));
            for (OpenSshHosts.Host h : hosts) {
                assertThat(Jobs.stdout(tenant, jobId, h.name())).isEqualTo("survived\n");
            }
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> results.getRecords().stream()
                                    .filter(r -> jobId.equals(r.key()))
                                    .count()
                            >= hosts.size());
            Thread.sleep(2_000);
            assertThat(results.getRecords().stream()
                            .filter(r -> jobId.equals(r.key()))
                            .count())
                    .isEqualTo(hosts.size());
            results.stop();
        }
    }

    @Test
    void anOutageBetweenTheClaimAndTheConnectionLosesNoRun() throws Exception {
        Tenants tenant = Tenants.fresh();
        List<OpenSshHosts.Host> hosts = Fleet.get().hosts().subList(8, 11);
        tenant.registerHosts(hosts, Fleet.get().userPrivateKey());

        // Holds every run between its claim (it is RUNNING) and the connection: resolving the claimed runs' targets
        // reads the credential table, which this transaction locks. The outage then breaks that read, as a restart
        // would, and each run's own resolution meets the database still down.
        try (Connection locker = TestPostgres.admin(TestServicesResource.DATABASE);
                Statement lock = locker.createStatement()) {
            locker.setAutoCommit(false);
            lock.execute("lock table credential in access exclusive mode");
            String jobId = Jobs.submit(
                    tenant,
                    Map.of(
                            "kind",
                            "exec",
                            "targets",
                            Map.of(
                                    "hosts",
                                    hosts.stream().map(OpenSshHosts.Host::name).toList()),
                            "command",
                            "echo reached",
                            "parallelism",
                            hosts.size()));
            await().atMost(Duration.ofSeconds(20)).until(() -> waitingOnLocks() > 0);
            assertThat(Jobs.runs(tenant, jobId)).allMatch(r -> "RUNNING".equals(r.get("state")));

            try (DatabaseOutage outage = DatabaseOutage.start()) {
                Thread.sleep(3_000);
            }

            JsonPath job = Jobs.awaitFinished(tenant, jobId);
            assertThat(job.getMap("summary")).isEqualTo(Map.of("SUCCEEDED", hosts.size()));
            assertThat(job.getString("state")).isEqualTo("SUCCEEDED");
            for (OpenSshHosts.Host h : hosts) {
                assertThat(Jobs.stdout(tenant, jobId, h.name())).isEqualTo("reached\n");
            }
        }
    }

    private static int waitingOnLocks() throws Exception {
        try (Connection c = TestPostgres.admin("postgres");
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("select count(*) from pg_stat_activity where datname = '"
                        + TestServicesResource.DATABASE + "' and wait_event_type = 'Lock'")) {
            rs.next();
            return rs.getInt(1);
        }
    }
}
