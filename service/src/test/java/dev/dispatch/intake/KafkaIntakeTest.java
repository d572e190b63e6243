package dev.dispatch.intake;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.dispatch.testing.DatabaseOutage;
import dev.dispatch.testing.Fleet;
import dev.dispatch.testing.Management;
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

    /** The tenant's jobs with that idempotency key, or all of them for a null key. */
    private long jobsWithKey(String tenant, String key) throws Exception {
        try (Connection c = db.getConnection();
                PreparedStatement s = c.prepareStatement(
                        "select count(*) from job where tenant_id = ? and (cast(? as text) is null or idempotency_key = ?)")) {
            s.setString(1, tenant);
            s.setString(2, key);
            s.setString(3, key);
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
        String body = "{\"kind\":\"exec\",\"targets\":{\"hosts\":[\"" + h.name()
                + "\"]},\"command\":\"echo via-kafka\"," + "\"idempotencyKey\":\"" + key + "\"}";
        String token = tenant.token("dispatch-operator");

        try (KafkaCompanion kafka = new KafkaCompanion(Tenants.kafkaBootstrap())) {
            ConsumerTask<String, String> events = kafka.consumeStrings().fromTopics("dispatch.job-events.v1");
            List<CompletableFuture<?>> rest = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                kafka.produceStrings().fromRecords(message(key, body, token)).awaitCompletion();
                rest.add(CompletableFuture.runAsync(() -> io.restassured.RestAssured.given()
                        .auth()
                        .oauth2(token)
                        .contentType(ContentType.JSON)
                        .body(body)
                        .post("/api/v1/jobs")
                        .then()
                        .statusCode(org.hamcrest.Matchers.oneOf(200, 202))));
            }
            CompletableFuture.allOf(rest.toArray(CompletableFuture[]::new)).join();
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> events.getRecords().stream()
                            .anyMatch(r -> r.value().contains(key) && r.value().contains("\"finished\"")));
            assertThat(jobsWithKey(tenant.id, key)).isEqualTo(1);
            long accepted = events.getRecords().stream()
                    .filter(r -> r.value().contains(key) && r.value().contains("\"accepted\""))
                    .count();
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
            bad.add(message(
                    "invalid-" + run,
                    "{\"kind\":\"exec\",\"targets\":{\"hosts\":[\"nope\"]}," + "\"idempotencyKey\":\"bad-" + run
                            + "\"}",
                    operator));
            bad.add(message(
                    "badfile-" + run,
                    "{\"kind\":\"copy\",\"targets\":{\"hosts\":[\"" + h.name() + "\"]},"
                            + "\"file\":{\"content\":\"YQ==\",\"artifact\":\"" + "0".repeat(64) + "\"}}",
                    operator));
            // Poison pills: text PostgreSQL cannot store. Before, each one stalled the consumer for good.
            String exec = "{\"kind\":\"exec\",\"targets\":{\"hosts\":[\"" + h.name() + "\"]},";
            bad.add(message("nul-command-" + run, exec + "\"command\":\"echo \\u0000\"}", operator));
            bad.add(message(
                    "nul-input-" + run, exec + "\"command\":\"cat\",\"input\":\"secret-input\\u0000\"}", operator));
            bad.add(message("nul-env-" + run, exec + "\"command\":\"env\",\"env\":{\"A\":\"x\\u0000\"}}", operator));
            bad.add(message(
                    "nul-label-" + run, exec + "\"command\":\"true\",\"labels\":{\"team\\u0000\":\"x\"}}", operator));
            bad.add(message("surrogate-" + run, exec + "\"command\":\"echo \\ud800\"}", operator));
            bad.add(message(
                    "nul-host-" + run,
                    "{\"kind\":\"exec\",\"targets\":{\"hosts\":[\"a\\u0000\"]},"
                            + "\"command\":\"true\",\"idempotencyKey\":\"k\\u0000\"}",
                    operator));
            // Thousands of violations: detail plus original value would exceed the producer's 1 MiB request limit.
            StringBuilder many = new StringBuilder("{\"kind\":\"exec\",\"command\":\"true\",\"targets\":{\"hosts\":[");
            String longName = "missing-host-" + "n".repeat(90) + "-";
            for (int i = 0; i < 9_000; i++) {
                many.append(i == 0 ? "" : ",")
                        .append('"')
                        .append(longName)
                        .append(i)
                        .append('"');
            }
            bad.add(message("huge-" + run, many.append("]}}").toString(), operator));
            bad.add(message("ok-" + run, valid, operator));
            kafka.produceStrings().fromRecords(bad).awaitCompletion(Duration.ofSeconds(60));

            long expectedDeadLetters = bad.size() - 1;
            await().atMost(Duration.ofSeconds(90))
                    .until(() -> dlq.getRecords().stream()
                                    .filter(r -> r.key() != null && r.key().contains(run))
                                    .count()
                            >= expectedDeadLetters);
            Map<String, ConsumerRecord<String, String>> byKey = new java.util.HashMap<>();
            dlq.getRecords().stream()
                    .filter(r -> r.key() != null && r.key().contains(run))
                    .forEach(r -> byKey.put(r.key(), r));
            List<String> expected = new ArrayList<>();
            bad.stream()
                    .map(ProducerRecord::key)
                    .filter(k -> !k.startsWith("ok-"))
                    .forEach(expected::add);
            assertThat(expected).as("dead-lettered keys").allMatch(byKey::containsKey);
            assertThat(byKey.containsKey("ok-" + run)).isFalse();
            assertThat(dlq.getRecords().stream()
                            .filter(r -> r.key() != null && r.key().contains(run))
                            .count())
                    .as("one dead letter per rejected message")
                    .isEqualTo(expectedDeadLetters);
            assertThat(byKey.values())
                    .as("every dead letter carries dispatch-error-type")
                    .allMatch(r -> header(r, "dispatch-error-type") != null);
            assertThat(byKey.values())
                    .as("no dead letter carries the submitter's bearer token")
                    .allMatch(r -> r.headers().lastHeader("authorization") == null
                            && !r.headers().toString().contains(operator));
            for (String poison :
                    List.of("nul-command-", "nul-input-", "nul-env-", "nul-label-", "surrogate-", "nul-host-")) {
                ConsumerRecord<String, String> letter = byKey.get(poison + run);
                assertThat(header(letter, "dispatch-error-type")).as(poison).isEqualTo("validation");
                assertThat(header(letter, "dispatch-error-detail"))
                        .as(poison)
                        .containsAnyOf("NUL character", "unpaired UTF-16 surrogate")
                        .doesNotContain("secret-input");
            }
            assertThat(header(byKey.get("nul-env-" + run), "dispatch-error-detail"))
                    .contains("env.A");
            assertThat(header(byKey.get("nul-host-" + run), "dispatch-error-detail"))
                    .contains("targets.hosts[0]")
                    .contains("idempotencyKey");
            ConsumerRecord<String, String> huge = byKey.get("huge-" + run);
            assertThat(header(huge, "dispatch-error-type")).isEqualTo("validation");
            assertThat(huge.headers().lastHeader("dispatch-error-detail").value().length)
                    .isLessThanOrEqualTo(dev.dispatch.messaging.DeadLetterPublisher.MAX_DETAIL_BYTES);
            assertThat(header(huge, "dispatch-error-detail"))
                    .contains("targets.hosts[0]")
                    .endsWith("\u2026");
            assertThat(huge.value())
                    .as("the original value is kept")
                    .isEqualTo(bad.stream()
                            .filter(r -> r.key().equals("huge-" + run))
                            .findFirst()
                            .orElseThrow()
                            .value());
            assertThat(header(byKey.get("junk-" + run + "-0"), "dispatch-error-type"))
                    .isEqualTo("malformed-body");
            assertThat(byKey.get("junk-" + run + "-0").value()).isEqualTo("{not json 0");
            assertThat(header(byKey.get("junk-" + run + "-1"), "dispatch-error-type"))
                    .isEqualTo("malformed-body");
            assertThat(header(byKey.get("noauth-" + run), "dispatch-error-type"))
                    .isEqualTo("unauthorized");
            assertThat(header(byKey.get("forged-" + run), "dispatch-error-type"))
                    .isEqualTo("unauthorized");
            assertThat(header(byKey.get("viewer-" + run), "dispatch-error-type"))
                    .isEqualTo("forbidden");
            ConsumerRecord<String, String> invalid = byKey.get("invalid-" + run);
            assertThat(header(invalid, "dispatch-error-type")).isEqualTo("validation");
            assertThat(header(invalid, "dispatch-error-detail"))
                    .contains("command")
                    .contains("targets.hosts[0]");
            ConsumerRecord<String, String> invalidFile = byKey.get("badfile-" + run);
            assertThat(header(invalidFile, "dispatch-error-type")).isEqualTo("validation");
            assertThat(header(invalidFile, "dispatch-error-detail"))
                    .contains("file.path")
                    .contains("file.artifact")
                    .contains("not both");

            await().atMost(Duration.ofSeconds(30)).until(() -> jobsWithKey(tenant.id, "ok-" + run) == 1);
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> events.getRecords().stream()
                            .anyMatch(r -> r.value().contains("\"rejected\"")
                                    && r.value().contains("bad-" + run)));
            assertThat(jobsWithKey(tenant.id, "bad-" + run)).isZero();
            dlq.stop();
            events.stop();
        }
    }

    /**
     * PostgreSQL refuses every connection for 65 s, longer than the minute after which the connector's throttled commit
     * strategy gave up on an unacknowledged record and closed the consumer for good. Intake pauses, says so, and after
     * the outage stores every job exactly once and dead-letters only the malformed message.
     */
    @Test
    void aDatabaseOutageOverAMinutePausesIntakeAndLosesNothing() throws Exception {
        Tenants tenant = Tenants.fresh();
        OpenSshHosts.Host h = Fleet.get().hosts().get(22);
        tenant.registerHosts(List.of(h), Fleet.get().userPrivateKey());
        String run = UUID.randomUUID().toString();
        String operator = tenant.token("dispatch-operator");
        List<ProducerRecord<String, String>> during = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            during.add(message(
                    "outage-" + run,
                    "{\"kind\":\"exec\",\"targets\":{\"hosts\":[\"" + h.name()
                            + "\"]},\"command\":\"true\",\"idempotencyKey\":\"outage-" + run + "-" + i + "\"}",
                    operator));
        }
        during.add(message("outage-junk-" + run, "{junk", operator));

        try (KafkaCompanion kafka = new KafkaCompanion(Tenants.kafkaBootstrap())) {
            ConsumerTask<String, String> dlq = kafka.consumeStrings().fromTopics(DLQ);
            try (DatabaseOutage outage = DatabaseOutage.start()) {
                kafka.produceStrings().fromRecords(during).awaitCompletion(Duration.ofSeconds(30));
                await().atMost(Duration.ofSeconds(30))
                        .until(() -> Management.request()
                                .get("/q/metrics")
                                .asString()
                                .contains("dispatch_intake_paused 1.0"));
                Thread.sleep(65_000);
                Management.request().get("/q/health/live").then().statusCode(200);
            }
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                long stored = 0;
                for (int i = 0; i < 20; i++) {
                    stored += jobsWithKey(tenant.id, "outage-" + run + "-" + i);
                }
                return stored == 20;
            });
            for (int i = 0; i < 20; i++) {
                assertThat(jobsWithKey(tenant.id, "outage-" + run + "-" + i))
                        .as("job %d", i)
                        .isEqualTo(1);
            }
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> dlq.getRecords().stream().anyMatch(r -> ("outage-junk-" + run).equals(r.key())));
            assertThat(dlq.getRecords().stream()
                            .filter(r -> r.key() != null && r.key().contains(run))
                            .map(r -> r.key()))
                    .as("only the malformed message is dead-lettered")
                    .containsExactly("outage-junk-" + run);
            await().atMost(Duration.ofSeconds(30))
                    .until(() ->
                            Management.request().get("/q/metrics").asString().contains("dispatch_intake_paused 0.0"));

            kafka.produceStrings()
                    .fromRecords(message(
                            "after-" + run,
                            "{\"kind\":\"exec\",\"targets\":{\"hosts\":[\"" + h.name()
                                    + "\"]},\"command\":\"true\",\"idempotencyKey\":\"after-" + run + "\"}",
                            operator))
                    .awaitCompletion();
            await().atMost(Duration.ofSeconds(30)).until(() -> jobsWithKey(tenant.id, "after-" + run) == 1);
            Management.request()
                    .get("/q/health/live")
                    .then()
                    .statusCode(200)
                    .body(org.hamcrest.Matchers.containsString("kafka-intake"));
            dlq.stop();
        }
    }

    private static ProducerRecord<String, String> message(String key, String value, String token, long timestamp) {
        ProducerRecord<String, String> plain = message(key, value, token);
        return new ProducerRecord<>(TOPIC, null, timestamp, key, value, plain.headers());
    }

    private long jobsOfTenant(String tenant) throws Exception {
        return jobsWithKey(tenant, null);
    }

    /**
     * Replays and tokens: a message without idempotencyKey re-posted at a new offset is still one job (before, the
     * dedupe key was topic/partition/offset); a token for another audience is refused; a token that was valid when the
     * message was produced is accepted from a backlog within the grace (before: dead-lettered as unauthorized), and
     * dead-lettered as token-expired past it.
     */
    @Test
    void replayedMessagesAndTokensAreJudgedByWhatTheyAre() throws Exception {
        Tenants tenant = Tenants.fresh();
        OpenSshHosts.Host h = Fleet.get().hosts().get(23);
        tenant.registerHosts(List.of(h), Fleet.get().userPrivateKey());
        String run = UUID.randomUUID().toString();
        String operator = tenant.token("dispatch-operator");
        String noKey = "{\"kind\":\"exec\",\"targets\":{\"hosts\":[\"" + h.name() + "\"]},\"command\":\"true\","
                + "\"labels\":{\"run\":\"" + run + "\"}}";
        long now = System.currentTimeMillis();
        long tenMinutesAgo = now / 1000 - 600;
        String expiredInBacklog =
                tenant.token(c -> c.issuedAt(tenMinutesAgo - 3600).expiresAt(tenMinutesAgo), "dispatch-operator");
        String expiredLongAgo = tenant.token(
                c -> c.issuedAt(now / 1000 - 4 * 3600).expiresAt(now / 1000 - 2 * 3600), "dispatch-operator");
        String otherAudience = tenant.token(c -> c.audience("another-service"), "dispatch-operator");
        String backlogJob = "{\"kind\":\"exec\",\"targets\":{\"hosts\":[\"" + h.name() + "\"]},"
                + "\"command\":\"true\",\"idempotencyKey\":\"backlog-" + run + "\"}";

        io.restassured.RestAssured.given()
                .auth()
                .oauth2(otherAudience)
                .get("/api/v1/jobs")
                .then()
                .statusCode(401);
        try (KafkaCompanion kafka = new KafkaCompanion(Tenants.kafkaBootstrap())) {
            ConsumerTask<String, String> dlq = kafka.consumeStrings().fromTopics(DLQ);
            kafka.produceStrings()
                    .fromRecords(message("replay-" + run, noKey, operator))
                    .awaitCompletion();
            await().atMost(Duration.ofSeconds(30)).until(() -> jobsOfTenant(tenant.id) == 1);
            kafka.produceStrings()
                    .fromRecords(List.of(
                            message("replay-" + run, noKey, operator),
                            message("audience-" + run, backlogJob, otherAudience),
                            message("backlog-" + run, backlogJob, expiredInBacklog, (tenMinutesAgo - 60) * 1000),
                            message("late-" + run, backlogJob.replace("backlog-", "late-"), expiredInBacklog, now),
                            message(
                                    "stale-" + run,
                                    backlogJob.replace("backlog-", "stale-"),
                                    expiredLongAgo,
                                    now - 3 * 3600 * 1000)))
                    .awaitCompletion();

            await().atMost(Duration.ofSeconds(30))
                    .until(() -> dlq.getRecords().stream()
                                    .filter(r -> r.key() != null && r.key().contains(run))
                                    .count()
                            >= 3);
            await().atMost(Duration.ofSeconds(30)).until(() -> jobsWithKey(tenant.id, "backlog-" + run) == 1);
            Map<String, String> types = new java.util.HashMap<>();
            dlq.getRecords().stream()
                    .filter(r -> r.key() != null && r.key().contains(run))
                    .forEach(r -> types.put(r.key(), header(r, "dispatch-error-type")));
            assertThat(types)
                    .containsOnly(
                            Map.entry("audience-" + run, "unauthorized"),
                            Map.entry("late-" + run, "unauthorized"),
                            Map.entry("stale-" + run, "token-expired"));
            // A marker behind the replay on its partition (same record key): once it is stored, the replay was handled.
            kafka.produceStrings()
                    .fromRecords(message("replay-" + run, backlogJob.replace("backlog-", "marker-"), operator))
                    .awaitCompletion();
            await().atMost(Duration.ofSeconds(30)).until(() -> jobsWithKey(tenant.id, "marker-" + run) == 1);
            assertThat(jobsOfTenant(tenant.id))
                    .as("the replay is the first job; backlog and marker are new")
                    .isEqualTo(3);
            dlq.stop();
        }
    }
}
