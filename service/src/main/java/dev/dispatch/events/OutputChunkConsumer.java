package dev.dispatch.events;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import dev.dispatch.messaging.OutputChunkEvent;
import dev.dispatch.messaging.Topics;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.jboss.logging.Logger;

/**
 * Reads {@code dispatch.output.v1} from now on, for this process only: every partition is assigned directly (no
 * consumer group, nothing committed), positioned at its end when opened; partitions that appear later are read from
 * their beginning. Not thread-safe except {@link #wakeup()}: one owner thread.
 */
final class OutputChunkConsumer implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(OutputChunkConsumer.class);
    private static final long PARTITION_CHECK_NANOS = Duration.ofSeconds(30).toNanos();
    private static final long EMPTY_CHECK_NANOS = Duration.ofSeconds(1).toNanos();

    private final KafkaConsumer<String, byte[]> consumer;
    private final ObjectReader reader;
    private Set<TopicPartition> assigned = Set.of();
    private long nextPartitionCheck;
    private boolean warned;

    OutputChunkConsumer(Map<String, Object> kafkaConfig, ObjectMapper json) {
        Map<String, Object> props = new HashMap<>(kafkaConfig);
        props.remove(ConsumerConfig.GROUP_ID_CONFIG);
        props.put(
                ConsumerConfig.CLIENT_ID_CONFIG,
                "dispatch-job-events-" + UUID.randomUUID().toString().substring(0, 8));
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
        this.consumer = new KafkaConsumer<>(props);
        this.reader = json.readerFor(OutputChunkEvent.class).without(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
        checkPartitions(true);
    }

    /** Skips everything published so far; returns when the new positions are known (so nothing later is missed). */
    void seekToEnd() {
        checkPartitions(false);
        consumer.seekToEnd(assigned);
        assigned.forEach(p -> ignoringWakeup(() -> consumer.position(p)));
    }

    /** Runs a blocking consumer call to its end even when a {@link #wakeup()} (meant for {@link #poll}) is pending. */
    private <T> T ignoringWakeup(Supplier<T> call) {
        while (true) {
            try {
                return call.get();
            } catch (WakeupException e) {
                // the wakeup only asks the owner to look at its commands, which it is doing now
            }
        }
    }

    /** True once the topic exists and its partitions are assigned. */
    boolean ready() {
        if (assigned.isEmpty() && System.nanoTime() >= nextPartitionCheck) {
            checkPartitions(false);
        }
        return !assigned.isEmpty();
    }

    /**
     * Chunks published since the last call whose record key ({@code jobId/host}) passes {@code wanted}, waiting up to
     * {@code timeout}; throws {@link org.apache.kafka.common.errors.WakeupException} after {@link #wakeup()}.
     */
    List<OutputChunkEvent> poll(Duration timeout, Predicate<String> wanted) {
        if (System.nanoTime() >= nextPartitionCheck) {
            checkPartitions(false);
        }
        List<OutputChunkEvent> chunks = new ArrayList<>();
        for (ConsumerRecord<String, byte[]> record : consumer.poll(timeout)) {
            if (record.key() == null || record.value() == null || !wanted.test(record.key())) {
                continue;
            }
            try {
                chunks.add(reader.readValue(record.value()));
            } catch (IOException e) {
                LOG.debugf(
                        "skipping unreadable output chunk at %s-%d@%d",
                        record.topic(), record.partition(), record.offset());
            }
        }
        return chunks;
    }

    /** Interrupts a waiting {@link #poll}; callable from any thread. */
    void wakeup() {
        consumer.wakeup();
    }

    private void checkPartitions(boolean opening) {
        nextPartitionCheck = System.nanoTime() + (assigned.isEmpty() ? EMPTY_CHECK_NANOS : PARTITION_CHECK_NANOS);
        Set<TopicPartition> found = new HashSet<>();
        try {
            ignoringWakeup(() -> consumer.partitionsFor(Topics.OUTPUT, Duration.ofSeconds(5)))
                    .forEach(p -> found.add(new TopicPartition(p.topic(), p.partition())));
        } catch (RuntimeException e) {
            if (!warned) {
                LOG.warnf("cannot list the partitions of %s (retrying quietly): %s", Topics.OUTPUT, e.toString());
                warned = true;
            }
            return;
        }
        warned = false;
        if (found.isEmpty() || found.equals(assigned)) {
            return;
        }
        Set<TopicPartition> added = new HashSet<>(found);
        added.removeAll(assigned);
        consumer.assign(found);
        if (opening) {
            consumer.seekToEnd(added);
        } else {
            consumer.seekToBeginning(added);
        }
        added.forEach(p -> ignoringWakeup(() -> consumer.position(p)));
        assigned = Set.copyOf(found);
        nextPartitionCheck = System.nanoTime() + PARTITION_CHECK_NANOS;
    }

    @Override
    public void close() {
        consumer.close();
    }
}
