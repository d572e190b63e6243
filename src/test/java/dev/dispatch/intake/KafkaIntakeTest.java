package dev.dispatch.intake;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.dispatch.testing.Fleet;
import dev.dispatch.testing.Jobs;
import dev.dispatch.testing.OpenSshHosts;
import dev.dispatch.testing.Tenants;
import io.agroal.api.AgroalDataSource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.smallrye.reactive.messaging.kafka.companion.ConsumerTask;
import io.smallrye.reactive.messaging.kafka.companion.KafkaCompanion;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;

@QuarkusTest
class KafkaIntakeTest {
    private static final String TOPIC = "dispatch.job-requests.v1";
    private static final String DLQ = "dispatch.job-requests.dlq.v1";

    @Inject
    AgroalDataSource db;

    private static ProducerRecord<String, String> message(String key, String value, String token) {
        RecordHeaders headers = new RecordHeaders();
        if (token != null) {
            headers.add("authorization", ("Bearer " + token).getBytes(StandardCharsets.UTF_8));
        }
        return new ProducerRecord<>(TOPIC, null, key, value, headers);
    }

    private static String header(ConsumerRecord<String, String> r, String name) {
        var h = r.headers().lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    private long jobsWithKey(String tenant, String key) throws Exception {
        try (Connection c = db.getConnection(); PreparedStatement s = c.prepareStatement(
                "select count(*) from job where tenant_id = ? and idempotency_key = ?")) {
            s.setString(1, tenant);
            s.setString(2, key);
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    @Test
    void validMessageBecomesOneJobEvenWhenDuplicatedOverKafkaAndRest() throws Exception {
        Tenants tenant = Tenants.fresh();
        OpenSshHosts.Host h = Fleet.get().hosts().get(20);
        tenant.registerHosts(List.of(h), Fleet.get().userPrivateKey());
        String key = "deploy-" + UUID.randomUUID();
        String body = "{\"kind\":\"exec\",\"targets\":{\"hosts\":[\"" + h.name() + "\"]},\"command\":\"echo via-kafka\","
                + "\"idempotencyKey\":\"" + key + "\"}";
        String token = tenant.token("dispatch-operator");

        try (KafkaCompanion kafka = new KafkaCompanion(Tenants.kafkaBootstrap())) {
            ConsumerTask<String, String> events = kafka.consumeStrings().fromTopics("dispatch.job-events.v1");
            List<CompletableFuture<?>> rest = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                kafka.produceStrings().fromRecords(message(key, body, token)).awaitCompletion();
                rest.add(CompletableFuture.runAsync(() -> io.restassured.RestAssured.given().auth().oauth2(token)
                        .contentType(ContentType.JSON).body(body).post("/api/v1/jobs")
                        .then().statusCode(org.hamcrest.Matchers.oneOf(200, 202))));
            }
            CompletableFuture.allOf(rest.toArray(CompletableFuture[]::new)).join();
            await().atMost(Duration.ofSeconds(30)).until(() -> events.getRecords().stream()
                    .anyMatch(r -> r.value().contains(key) && r.value().contains("\"finished\"")));
            assertThat(jobsWithKey(tenant.id, key)).isEqualTo(1);
            long accepted = events.getRecords().stream()
                    .filter(r -> r.value().contains(key) && r.value().contains("\"accepted\"")).count();
            assertThat(accepted).isEqualTo(1);
            events.stop();
        }
    }

    @Test
    void rejectsBadMessagesToTheDeadLetterTopicAndKeepsConsuming() throws Exception {
        Tenants tenant = Tenants.fresh();
        OpenSshHosts.Host h = Fleet.get().hosts().get(21);
        tenant.registerHosts(List.of(h), Fleet.get().userPrivateKey());
        String run = UUID.randomUUID().toString();
        String operator = tenant.token("dispatch-operator");
        String valid = "{\"kind\":\"exec\",\"targets\":{\"hosts\":[\"" + h.name() + "\"]},\"command\":\"true\","
                + "\"idempotencyKey\":\"ok-" + run + "\"}";

        try (KafkaCompanion kafka = new KafkaCompanion(Tenants.kafkaBootstrap())) {
            ConsumerTask<String, String> dlq = kafka.consumeStrings().fromTopics(DLQ);
            ConsumerTask<String, String> events = kafka.consumeStrings().fromTopics("dispatch.job-events.v1");
            List<ProducerRecord<String, String>> bad = new ArrayList<>();
            for (int i = 0; i < 1000; i++) {
                bad.add(message("junk-" + run + "-" + i, i % 2 == 0 ? "{not json " + i : "[" + i + "]", operator));
            }
            bad.add(message("noauth-" + run, valid, null));
            bad.add(message("forged-" + run, valid, operator.substring(0, operator.length() - 4) + "AAAA"));
            bad.add(message("viewer-" + run, valid, tenant.token("dispatch-viewer")));
            bad.add(message("invalid-" + run, "{\"kind\":\"exec\",\"targets\":{\"hosts\":[\"nope\"]},"
                    + "\"idempotencyKey\":\"bad-" + run + "\"}", operator));
            bad.add(message("badfile-" + run, "{\"kind\":\"copy\",\"targets\":{\"hosts\":[\"" + h.name() + "\"]},"
                    + "\"file\":{\"content\":\"YQ==\",\"artifact\":\"" + "0".repeat(64) + "\"}}", operator));
            bad.add(message("ok-" + run, valid, operator));
            kafka.produceStrings().fromRecords(bad).awaitCompletion(Duration.ofSeconds(60));

            await().atMost(Duration.ofSeconds(90)).until(() -> dlq.getRecords().stream()
                    .filter(r -> r.key() != null && r.key().contains(run)).count() >= 1005);
            Map<String, ConsumerRecord<String, String>> byKey = new java.util.HashMap<>();
            dlq.getRecords().stream().filter(r -> r.key() != null && r.key().contains(run))
                    .forEach(r -> byKey.put(r.key(), r));
            List<String> expected = new ArrayList<>();
            bad.stream().map(ProducerRecord::key).filter(k -> !k.startsWith("ok-")).forEach(expected::add);
            assertThat(expected).as("dead-lettered keys").allMatch(byKey::containsKey);
            assertThat(byKey.containsKey("ok-" + run)).isFalse();
            assertThat(byKey.values()).as("every dead letter carries dispatch-error-type")
                    .allMatch(r -> header(r, "dispatch-error-type") != null);
            assertThat(header(byKey.get("junk-" + run + "-0"), "dispatch-error-type")).isEqualTo("malformed-body");
            assertThat(byKey.get("junk-" + run + "-0").value()).isEqualTo("{not json 0");
            assertThat(header(byKey.get("junk-" + run + "-1"), "dispatch-error-type")).isEqualTo("malformed-body");
            assertThat(header(byKey.get("noauth-" + run), "dispatch-error-type")).isEqualTo("unauthorized");
            assertThat(header(byKey.get("forged-" + run), "dispatch-error-type")).isEqualTo("unauthorized");
            assertThat(header(byKey.get("viewer-" + run), "dispatch-error-type")).isEqualTo("forbidden");
            ConsumerRecord<String, String> invalid = byKey.get("invalid-" + run);
            assertThat(header(invalid, "dispatch-error-type")).isEqualTo("validation");
            assertThat(header(invalid, "dispatch-error-detail")).contains("command").contains("targets.hosts[0]");
            ConsumerRecord<String, String> invalidFile = byKey.get("badfile-" + run);
            assertThat(header(invalidFile, "dispatch-error-type")).isEqualTo("validation");
            assertThat(header(invalidFile, "dispatch-error-detail")).contains("file.path").contains("file.artifact")
                    .contains("not both");

            await().atMost(Duration.ofSeconds(30)).until(() -> jobsWithKey(tenant.id, "ok-" + run) == 1);
            await().atMost(Duration.ofSeconds(30)).until(() -> events.getRecords().stream()
                    .anyMatch(r -> r.value().contains("\"rejected\"") && r.value().contains("bad-" + run)));
            assertThat(jobsWithKey(tenant.id, "bad-" + run)).isZero();
            dlq.stop();
            events.stop();
        }
    }
}
