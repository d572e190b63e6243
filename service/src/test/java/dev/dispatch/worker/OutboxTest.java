package dev.dispatch.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.dispatch.testing.Tenants;
import io.agroal.api.AgroalDataSource;
import io.quarkus.test.junit.QuarkusTest;
import io.smallrye.reactive.messaging.kafka.companion.ConsumerTask;
import io.smallrye.reactive.messaging.kafka.companion.KafkaCompanion;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.Test;

@QuarkusTest
class OutboxTest {
    @Inject
    AgroalDataSource db;

    @Test
    void resultLeftInTheOutboxByADeadProcessIsPublishedByAnother() throws Exception {
        String jobId = UUID.randomUUID().toString();
        String payload = "{\"jobId\":\"" + jobId + "\",\"host\":\"h1\",\"state\":\"SUCCEEDED\",\"attempt\":1}";
        try (KafkaCompanion kafka = new KafkaCompanion(Tenants.kafkaBootstrap())) {
            ConsumerTask<String, String> results = kafka.consumeStrings().fromTopics("dispatch.host-results.v1");
            try (Connection c = db.getConnection();
                    PreparedStatement s = c.prepareStatement(
                            "insert into outbox (topic, record_key, tenant_id, type, payload) values"
                                    + " ('dispatch.host-results.v1', ?, 't-outbox', 'dev.dispatch.host.result', ?::jsonb)")) {
                s.setString(1, jobId);
                s.setString(2, payload);
                s.executeUpdate();
            }
            await().atMost(Duration.ofSeconds(20))
                    .until(() -> results.getRecords().stream().anyMatch(r -> jobId.equals(r.key())));
            var record = results.getRecords().stream()
                    .filter(r -> jobId.equals(r.key()))
                    .findFirst()
                    .orElseThrow();
            assertThat(record.value()).contains("\"state\": \"SUCCEEDED\"").contains(jobId);
            assertThat(new String(record.headers().lastHeader("ce_tenant").value()))
                    .isEqualTo("t-outbox");
            await().atMost(Duration.ofSeconds(10)).until(() -> pending(jobId) == 0);
            results.stop();
        }
    }

    private long pending(String key) throws Exception {
        try (Connection c = db.getConnection();
                PreparedStatement s = c.prepareStatement("select count(*) from outbox where record_key = ?")) {
            s.setString(1, key);
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }
}
