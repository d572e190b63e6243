package dev.dispatch.messaging;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import io.smallrye.common.annotation.Identifier;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.jboss.logging.Logger;

/**
 * Reads every audit checkpoint of one tenant from {@code dispatch.audit-checkpoints.v1}, from the beginning of each
 * partition to the end it had when the read started: a consumer of its own per call, every partition assigned
 * directly (no group, nothing committed). Thread-safe (nothing is shared between calls).
 */
@ApplicationScoped
public class AuditCheckpointConsumer {
    private static final Logger LOG = Logger.getLogger(AuditCheckpointConsumer.class);
    private final Map<String, Object> kafkaConfig;
    private final ObjectReader reader;

    public AuditCheckpointConsumer(
            @Identifier("default-kafka-broker") Map<String, Object> kafkaConfig, ObjectMapper json) {
        this.kafkaConfig = kafkaConfig;
        this.reader =
                json.readerFor(AuditCheckpointEvent.class).without(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    }

    /** Thrown when the topic could not be read to its end in time; verification then cannot conclude. */
    public static final class UnavailableException extends RuntimeException {
        UnavailableException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /**
     * The checkpoints keyed {@code tenant} published before this call, in topic order; none if the topic does not
     * exist yet. Records that do not parse are skipped (a WARN names their offset).
     *
     * @throws UnavailableException if the broker did not answer within {@code timeout}
     */
    public List<AuditCheckpointEvent> read(String tenant, Duration timeout) {
        Map<String, Object> props = new HashMap<>(kafkaConfig);
        props.remove(ConsumerConfig.GROUP_ID_CONFIG);
        props.put(
                ConsumerConfig.CLIENT_ID_CONFIG,
                "dispatch-audit-verify-" + UUID.randomUUID().toString().substring(0, 8));
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) timeout.toMillis());
        long deadline = System.nanoTime() + timeout.toNanos();
        List<AuditCheckpointEvent> found = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props)) {
            List<PartitionInfo> infos = consumer.listTopics(timeout).get(Topics.AUDIT_CHECKPOINTS);
            if (infos == null || infos.isEmpty()) {
                return found;
            }
            List<TopicPartition> partitions = infos.stream()
                    .map(i -> new TopicPartition(i.topic(), i.partition()))
                    .toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> ends = new HashMap<>(consumer.endOffsets(partitions, timeout));
            ends.entrySet().removeIf(e -> consumer.position(e.getKey(), timeout) >= e.getValue());
            while (!ends.isEmpty()) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new UnavailableException(
                            Topics.AUDIT_CHECKPOINTS + " not read to its end within " + timeout, null);
                }
                for (ConsumerRecord<String, String> r : consumer.poll(
                        Duration.ofNanos(Math.min(left, Duration.ofMillis(500).toNanos())))) {
                    if (tenant.equals(r.key()) && r.value() != null) {
                        parse(r).ifPresent(found::add);
                    }
                }
                ends.entrySet().removeIf(e -> consumer.position(e.getKey(), timeout) >= e.getValue());
            }
            return found;
        } catch (KafkaException e) {
            throw new UnavailableException(Topics.AUDIT_CHECKPOINTS + " unreadable: " + e.getMessage(), e);
        }
    }

    private Optional<AuditCheckpointEvent> parse(ConsumerRecord<String, String> r) {
        try {
            return Optional.of(reader.readValue(r.value()));
        } catch (IOException e) {
            LOG.warnf(
                    "audit checkpoint at %s-%d offset %d does not parse; ignored",
                    r.topic(), r.partition(), r.offset());
            return Optional.empty();
        }
    }
}
