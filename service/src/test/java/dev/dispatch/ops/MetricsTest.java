package dev.dispatch.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.dispatch.testing.Fleet;
import dev.dispatch.testing.Jobs;
import dev.dispatch.testing.Management;
import dev.dispatch.testing.OpenSshHosts;
import dev.dispatch.testing.Tenants;
import io.quarkus.test.junit.QuarkusTest;
import io.smallrye.reactive.messaging.kafka.companion.ConsumerTask;
import io.smallrye.reactive.messaging.kafka.companion.KafkaCompanion;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

@QuarkusTest
class MetricsTest {
    private static final Pattern SAMPLE = Pattern.compile("(?m)^([a-z_]+)\\{([^}]*)} (\\S+)$");

    private static String scrape() {
        return Management.request()
                .get("/q/metrics")
                .then()
                .statusCode(200)
                .extract()
                .asString();
    }

    /** Sum of the samples of {@code name} whose labels include all of {@code labels}; -1 if there is none. */
    private static double value(String metrics, String name, Map<String, String> labels) {
        double sum = -1;
        Matcher m = SAMPLE.matcher(metrics);
        while (m.find()) {
            String found = m.group(2);
            if (m.group(1).equals(name)
                    && labels.entrySet().stream()
                            .allMatch(e -> found.contains(e.getKey() + "=\"" + e.getValue() + "\""))) {
                sum = Math.max(sum, 0) + Double.parseDouble(m.group(3));
            }
        }
        return sum;
    }

    @Test
    void countsFinishedJobsAndRunsByStateAndTenantAndTimesHandshakes() {
        Tenants tenant = Tenants.fresh();
        List<OpenSshHosts.Host> hosts = Fleet.get().hosts().subList(0, 2);
        tenant.registerHosts(hosts, Fleet.get().userPrivateKey());
        List<String> names = hosts.stream().map(OpenSshHosts.Host::name).toList();

        String ok = Jobs.submit(tenant, Map.of("kind", "exec", "targets", Map.of("hosts", names), "command", "true"));
        String failed = Jobs.submit(
                tenant, Map.of("kind", "exec", "targets", Map.of("hosts", names.subList(0, 1)), "command", "exit 3"));
        assertThat(Jobs.awaitFinished(tenant, ok).getString("state")).isEqualTo("SUCCEEDED");
        assertThat(Jobs.awaitFinished(tenant, failed).getString("state")).isEqualTo("FAILED");

        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            String metrics = scrape();
            assertThat(value(metrics, "dispatch_jobs_total", Map.of("state", "SUCCEEDED", "tenant", tenant.id)))
                    .isEqualTo(1.0);
            assertThat(value(metrics, "dispatch_jobs_total", Map.of("state", "FAILED", "tenant", tenant.id)))
                    .isEqualTo(1.0);
            assertThat(value(metrics, "dispatch_host_runs_total", Map.of("state", "SUCCEEDED", "tenant", tenant.id)))
                    .isEqualTo(2.0);
            assertThat(value(metrics, "dispatch_host_runs_total", Map.of("state", "FAILED", "tenant", tenant.id)))
                    .isEqualTo(1.0);
            assertThat(value(metrics, "dispatch_host_run_duration_seconds_count", Map.of("state", "SUCCEEDED")))
                    .isGreaterThanOrEqualTo(2.0);
            assertThat(value(
                            metrics,
                            "dispatch_host_run_duration_seconds_bucket",
                            Map.of("state", "FAILED", "le", "+Inf")))
                    .isGreaterThanOrEqualTo(1.0);
            assertThat(value(metrics, "dispatch_ssh_handshake_seconds_count", Map.of("outcome", "success")))
                    .isGreaterThan(0);
            assertThat(metrics).containsPattern("(?m)^dispatch_ssh_pool_sessions(\\{[^}]*})? [0-9.]+$");
            assertThat(value(metrics, "dispatch_ssh_pool_leases_total", Map.of("result", "miss")))
                    .isGreaterThan(0);
        });
    }

    @Test
    void countsDeadLetteredIntakeMessagesByType() throws Exception {
        String key = "metrics-" + UUID.randomUUID();
        double before =
                Math.max(0, value(scrape(), "dispatch_intake_dead_letters_total", Map.of("type", "unauthorized")));

        try (KafkaCompanion kafka = new KafkaCompanion(Tenants.kafkaBootstrap())) {
            ConsumerTask<String, String> dlq = kafka.consumeStrings().fromTopics("dispatch.job-requests.dlq.v1");
            kafka.produceStrings()
                    .fromRecords(new ProducerRecord<>(
                            "dispatch.job-requests.v1",
                            key,
                            "{\"kind\":\"exec\",\"targets\":{\"hosts\":[\"x\"]},\"command\":\"true\"}"))
                    .awaitCompletion();
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> dlq.getRecords().stream().anyMatch(r -> key.equals(r.key())));
        }

        await().atMost(Duration.ofSeconds(10))
                .untilAsserted(() -> assertThat(
                                value(scrape(), "dispatch_intake_dead_letters_total", Map.of("type", "unauthorized")))
                        .isGreaterThanOrEqualTo(before + 1));
    }
}
