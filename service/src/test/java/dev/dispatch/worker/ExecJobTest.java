package dev.dispatch.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dispatch.testing.Fleet;
import dev.dispatch.testing.Jobs;
import dev.dispatch.testing.OpenSshHosts;
import dev.dispatch.testing.Tenants;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.smallrye.reactive.messaging.kafka.companion.ConsumerTask;
import io.smallrye.reactive.messaging.kafka.companion.KafkaCompanion;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.junit.jupiter.api.Test;

@QuarkusTest
class ExecJobTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void runsOnEveryHostAndReturnsEachHostsOutput() {
        OpenSshHosts fleet = Fleet.get();
        Tenants tenant = Tenants.fresh();
        List<OpenSshHosts.Host> hosts = fleet.hosts().subList(0, 20);
        tenant.registerHosts(hosts, fleet.userPrivateKey());

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
                        "echo \"$SSH_CONNECTION\" | cut -d' ' -f3,4",
                        "parallelism",
                        20));

        JsonPath job = Jobs.awaitFinished(tenant, jobId);
        assertThat(job.getString("state")).isEqualTo("SUCCEEDED");
        assertThat(job.getLong("summary.SUCCEEDED")).isEqualTo(20);
        for (Map<String, Object> run : Jobs.runs(tenant, jobId)) {
            assertThat(run).containsEntry("state", "SUCCEEDED").containsEntry("exitCode", 0);
        }
        for (OpenSshHosts.Host h : hosts) {
            assertThat(Jobs.stdout(tenant, jobId, h.name())).isEqualTo(h.address() + " " + h.port() + "\n");
        }
    }

    @Test
    void failingCommandEndsFailedWithItsExitCode() {
        Tenants tenant = Tenants.fresh();
        OpenSshHosts.Host host = Fleet.get().hosts().get(0);
        tenant.registerHosts(List.of(host), Fleet.get().userPrivateKey());

        String jobId = Jobs.submit(
                tenant,
                Map.of(
                        "kind",
                        "exec",
                        "targets",
                        Map.of("hosts", List.of(host.name())),
                        "command",
                        "echo oops >&2; exit 3"));

        assertThat(Jobs.awaitFinished(tenant, jobId).getString("state")).isEqualTo("FAILED");
        Map<String, Object> run = Jobs.onlyRun(tenant, jobId);
        assertThat(run)
                .containsEntry("state", "FAILED")
                .containsEntry("exitCode", 3)
                .containsEntry("stderrBytes", 5);
    }

    @Test
    void inputReachesTheCommandsStdin() {
        Tenants tenant = Tenants.fresh();
        OpenSshHosts.Host host = Fleet.get().hosts().get(1);
        tenant.registerHosts(List.of(host), Fleet.get().userPrivateKey());

        String jobId = Jobs.submit(
                tenant,
                Map.of(
                        "kind",
                        "exec",
                        "targets",
                        Map.of("hosts", List.of(host.name())),
                        "command",
                        "tr a-z A-Z",
                        "input",
                        "hello, stdin ✓\n"));

        assertThat(Jobs.awaitFinished(tenant, jobId).getString("state")).isEqualTo("SUCCEEDED");
        assertThat(Jobs.stdout(tenant, jobId, host.name())).isEqualTo("HELLO, STDIN ✓\n");
    }

    @Test
    void publishesEveryChunkInSeqOrderBeforeTheHostResult() throws Exception {
        Tenants tenant = Tenants.fresh();
        List<OpenSshHosts.Host> hosts = Fleet.get().hosts().subList(2, 5);
        tenant.registerHosts(hosts, Fleet.get().userPrivateKey());

        try (KafkaCompanion kafka = new KafkaCompanion(Tenants.kafkaBootstrap())) {
            ConsumerTask<String, String> output = kafka.consumeStrings().fromTopics("dispatch.output.v1");
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
                            "for i in $(seq 1 200); do echo line-$i; echo err-$i >&2; done"));
            assertThat(Jobs.awaitFinished(tenant, jobId).getString("state")).isEqualTo("SUCCEEDED");

            await().atMost(Duration.ofSeconds(30))
                    .until(() -> results.getRecords().stream()
                                    .filter(r -> jobId.equals(r.key()))
                                    .count()
                            == hosts.size());
            for (OpenSshHosts.Host h : hosts) {
                String key = jobId + "/" + h.name();
                List<ConsumerRecord<String, String>> chunks = new ArrayList<>(output.getRecords().stream()
                        .filter(r -> key.equals(r.key()))
                        .toList());
                ConsumerRecord<String, String> result = results.getRecords().stream()
                        .filter(r -> jobId.equals(r.key()) && h.name().equals(hostOf(r.value())))
                        .findFirst()
                        .orElseThrow();
                JsonNode resultJson = JSON.readTree(result.value());

                StringBuilder stdout = new StringBuilder();
                StringBuilder stderr = new StringBuilder();
                Map<String, Integer> perStream = new HashMap<>();
                long expectedSeq = 0;
                for (ConsumerRecord<String, String> record : chunks) {
                    JsonNode chunk = JSON.readTree(record.value());
                    assertThat(chunk.get("seq").asLong()).isEqualTo(expectedSeq++);
                    assertThat(record.timestamp()).isLessThanOrEqualTo(result.timestamp());
                    String stream = chunk.get("stream").asText();
                    perStream.merge(stream, 1, Integer::sum);
                    (stream.equals("stdout") ? stdout : stderr)
                            .append(chunk.path("text").asText(""));
                }
                assertThat(stdout.toString()).startsWith("line-1\nline-2\n").endsWith("line-200\n");
                assertThat(stderr.toString()).startsWith("err-1\n").endsWith("err-200\n");
                assertThat(resultJson.get("state").asText()).isEqualTo("SUCCEEDED");
                assertThat(resultJson.at("/outputChunks/stdout").asInt()).isEqualTo(perStream.get("stdout"));
                assertThat(resultJson.at("/outputChunks/stderr").asInt()).isEqualTo(perStream.get("stderr"));
                assertThat(headers(result))
                        .containsEntry("ce_tenant", tenant.id)
                        .containsKey("ce_id")
                        .containsEntry("ce_type", "dev.dispatch.host.result");
            }
            output.stop();
            results.stop();
        }
    }

    private static String hostOf(String json) {
        try {
            return JSON.readTree(json).path("host").asText();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static Map<String, String> headers(ConsumerRecord<String, String> record) {
        Map<String, String> headers = new HashMap<>();
        for (Header h : record.headers()) {
            headers.put(h.key(), new String(h.value(), StandardCharsets.UTF_8));
        }
        return headers;
    }
}
