package dev.dispatch.messaging;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.dispatch.job.RunState;
import dev.dispatch.testing.Management;
import dev.dispatch.testing.Tenants;
import io.agroal.api.AgroalDataSource;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.junit.QuarkusTest;
import io.smallrye.reactive.messaging.kafka.companion.ConsumerTask;
import io.smallrye.reactive.messaging.kafka.companion.KafkaCompanion;
import jakarta.enterprise.event.Event;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

@QuarkusTest
class OutboxDrainTest {
    private static final int THREADS = 15;
    private static final int ROWS = 600;
    private static final Pattern HOST = Pattern.compile("\"host\": ?\"([^\"]+)\"");

    @Inject
    AgroalDataSource db;

    @Inject
    MeterRegistry metrics;

    @Inject
    Event<HostResultEvent> hostResults;

    @Test
    void concurrentCommitsAreAllPublished() throws Exception {
        String jobId = UUID.randomUUID().toString();
        String tenant = "t-outbox-" + UUID.randomUUID();
        try (KafkaCompanion kafka = new KafkaCompanion(Tenants.kafkaBootstrap())) {
            ConsumerTask<String, String> results = kafka.consumeStrings().fromTopics(Topics.HOST_RESULTS);
            CyclicBarrier inserted = new CyclicBarrier(THREADS);
            ExecutorService pool = Executors.newFixedThreadPool(THREADS);
            try {
                List<Future<?>> writers = new ArrayList<>();
                for (int t = 0; t < THREADS; t++) {
                    int thread = t;
                    writers.add(pool.submit(() -> {
                        for (int round = 0; round < ROWS / THREADS; round++) {
                            insertAndCommitLate(jobId, tenant, "h" + thread + "-" + round, inserted);
                        }
                        return null;
                    }));
                }
                for (Future<?> writer : writers) {
                    writer.get();
                }
            } finally {
                pool.shutdown();
            }
            await().atMost(Duration.ofSeconds(60)).until(() -> rowsFor(jobId) == 0);
            List<String> hosts = settled(results, jobId, ROWS, Duration.ofSeconds(30));
            results.stop();
            assertThat(hosts).hasSize(ROWS).doesNotHaveDuplicates();
            assertThat(rowsFor(jobId)).isZero();
        }
    }

    @Test
    void refusedRecordIsParkedAndTheRestFlows() throws Exception {
        int normal = 20;
        String jobId = UUID.randomUUID().toString();
        String tenant = "t-outbox-" + UUID.randomUUID();
        double parkedBefore = parkedCount();
        try (KafkaCompanion kafka = new KafkaCompanion(Tenants.kafkaBootstrap())) {
            ConsumerTask<String, String> results = kafka.consumeStrings().fromTopics(Topics.HOST_RESULTS);
            try (Connection c = db.getConnection()) {
                c.setAutoCommit(false);
                insert(
                        c,
                        jobId,
                        tenant,
                        "{\"jobId\":\"" + jobId + "\",\"host\":\"big\",\"pad\":\"" + "x".repeat(2 * 1024 * 1024)
                                + "\"}");
                for (int i = 0; i < normal; i++) {
                    insert(c, jobId, tenant, payload(jobId, "h" + i));
                }
                c.commit();
            }
            await().atMost(Duration.ofSeconds(30)).until(() -> rowsFor(jobId) == 1 && parkedFor(jobId) == 1);
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> hostsOf(results, jobId).size() >= normal);
            assertThat(parkReasonFor(jobId))
                    .startsWith("RecordTooLargeException: ")
                    .contains("max.request.size")
                    .hasSizeLessThan(1_100);
            assertThat(parkedCount() - parkedBefore).isEqualTo(1.0);
            await().atMost(Duration.ofSeconds(10))
                    .until(() ->
                            metrics.get("dispatch.outbox.parked.rows").gauge().value() == parkedRows());
            String scrape = Management.request()
                    .get("/q/metrics")
                    .then()
                    .statusCode(200)
                    .extract()
                    .asString();
            assertThat(scrape)
                    .contains("dispatch_outbox_parked_total{topic=\"dispatch.host-results.v1\"}")
                    .contains("dispatch_outbox_parked_rows ");

            try (Connection c = db.getConnection()) {
                insert(c, jobId, tenant, payload(jobId, "after"));
            }
            List<String> hosts = settled(results, jobId, normal + 1, Duration.ofSeconds(10));
            results.stop();
            assertThat(hosts).hasSize(normal + 1).doesNotHaveDuplicates().doesNotContain("big");
            assertThat(rowsFor(jobId)).isEqualTo(1);
        } finally {
            try (Connection c = db.getConnection();
                    PreparedStatement s = c.prepareStatement("delete from outbox where record_key = ?")) {
                s.setString(1, jobId);
                s.executeUpdate();
            }
        }
    }

    /** Inserts in its own transaction, waits until every writer inserted, then commits a few ms apart. */
    private void insertAndCommitLate(String jobId, String tenant, String host, CyclicBarrier inserted) {
        QuarkusTransaction.requiringNew().run(() -> {
            hostResults.fire(new HostResultEvent(
                    UUID.fromString(jobId),
                    tenant,
                    host,
                    RunState.SUCCEEDED,
                    0,
                    null,
                    null,
                    null,
                    null,
                    1,
                    0,
                    0,
                    null,
                    null,
                    Map.of("stdout", 0, "stderr", 0)));
            try {
                inserted.await(30, TimeUnit.SECONDS);
                Thread.sleep(ThreadLocalRandom.current().nextInt(0, 8));
            } catch (InterruptedException | BrokenBarrierException | TimeoutException e) {
                throw new IllegalStateException(e);
            }
        });
    }

    private static void insert(Connection c, String jobId, String tenant, String payload) throws Exception {
        try (PreparedStatement s = c.prepareStatement("insert into outbox (topic, record_key, tenant_id, type,"
                + " payload) values (?, ?, ?, 'dev.dispatch.host.result', ?::jsonb)")) {
            s.setString(1, Topics.HOST_RESULTS);
            s.setString(2, jobId);
            s.setString(3, tenant);
            s.setString(4, payload);
            s.executeUpdate();
        }
    }

    private static String payload(String jobId, String host) {
        return "{\"jobId\":\"" + jobId + "\",\"host\":\"" + host + "\",\"state\":\"SUCCEEDED\",\"attempt\":1}";
    }

    private static List<String> hostsOf(ConsumerTask<String, String> results, String jobId) {
        List<String> hosts = new ArrayList<>();
        for (ConsumerRecord<String, String> r : results.getRecords()) {
            if (jobId.equals(r.key())) {
                Matcher m = HOST.matcher(r.value());
                hosts.add(m.find() ? m.group(1) : r.value());
            }
        }
        return hosts;
    }

    /** The hosts received for the job once {@code expected} arrived (or the time is up), plus 2 s for extras. */
    private static List<String> settled(
            ConsumerTask<String, String> results, String jobId, int expected, Duration atMost)
            throws InterruptedException {
        long deadline = System.nanoTime() + atMost.toNanos();
        while (hostsOf(results, jobId).size() < expected && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        Thread.sleep(2_000);
        return hostsOf(results, jobId);
    }

    private double parkedCount() {
        return metrics.counter("dispatch.outbox.parked", "topic", Topics.HOST_RESULTS)
                .count();
    }

    private long rowsFor(String jobId) throws Exception {
        return count("select count(*) from outbox where record_key = ?", jobId);
    }

    private long parkedFor(String jobId) throws Exception {
        return count("select count(*) from outbox where record_key = ? and parked_at is not null", jobId);
    }

    private long parkedRows() throws Exception {
        return count("select count(*) from outbox where parked_at is not null and ? <> ''", "any");
    }

    private String parkReasonFor(String jobId) throws Exception {
        try (Connection c = db.getConnection();
                PreparedStatement s = c.prepareStatement(
                        "select park_reason from outbox where record_key = ? and parked_at is not null")) {
            s.setString(1, jobId);
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                return rs.getString(1);
            }
        }
    }

    private long count(String sql, String parameter) throws Exception {
        try (Connection c = db.getConnection();
                PreparedStatement s = c.prepareStatement(sql)) {
            s.setString(1, parameter);
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }
}
