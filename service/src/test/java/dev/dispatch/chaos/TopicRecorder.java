package dev.dispatch.chaos;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dispatch.messaging.Topics;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.function.Predicate;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Records every message of the campaign's topics from the first offset on (a group-less consumer that assigns all
 * partitions, so a broker restart costs no rebalance), with the moment it was seen, for counting by job afterwards.
 */
final class TopicRecorder implements AutoCloseable {
    private static final List<String> TOPICS = List.of(
            Topics.HOST_RESULTS, Topics.JOB_EVENTS, Topics.OUTPUT, Topics.JOB_REQUESTS, Topics.JOB_REQUESTS_DLQ);
    private static final int PARTITIONS = 3;
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One consumed message; {@code json} is null when the value is not JSON; {@code seenNanos} is System.nanoTime. */
    record Rec(String topic, String key, String value, JsonNode json, Map<String, String> headers, long seenNanos) {
        String text(String field) {
            JsonNode node = json == null ? null : json.get(field);
            return node == null || node.isNull() ? null : node.asText();
        }
    }

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final List<Rec> records = new ArrayList<>();
    private final Thread poller;
    private volatile boolean running = true;

    private TopicRecorder(String bootstrap) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "2000");
        consumer = new KafkaConsumer<>(props);
        List<TopicPartition> partitions = new ArrayList<>();
        for (String topic : TOPICS) {
            for (int p = 0; p < PARTITIONS; p++) {
                partitions.add(new TopicPartition(topic, p));
            }
        }
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
        poller = Thread.ofPlatform().name("chaos-recorder").daemon().start(this::poll);
    }

    /** Creates the campaign's topics (as the broker would on first use, three partitions) and starts recording. */
    static TopicRecorder start(String bootstrap) throws InterruptedException, ExecutionException {
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        try (Admin admin = Admin.create(props)) {
            for (String topic : TOPICS) {
                try {
                    admin.createTopics(List.of(new NewTopic(topic, PARTITIONS, (short) 1)))
                            .all()
                            .get();
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw e;
                    }
                }
            }
        }
        return new TopicRecorder(bootstrap);
    }

    private void poll() {
        try {
            while (running) {
                List<Rec> batch = new ArrayList<>();
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
                    long seen = System.nanoTime();
                    String value = r.value() == null ? null : new String(r.value(), StandardCharsets.UTF_8);
                    Map<String, String> headers = new HashMap<>();
                    for (Header h : r.headers()) {
                        headers.put(h.key(), h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8));
                    }
                    batch.add(new Rec(
                            r.topic(),
                            r.key() == null ? null : new String(r.key(), StandardCharsets.UTF_8),
                            value,
                            parse(value),
                            headers,
                            seen));
                }
                if (!batch.isEmpty()) {
                    synchronized (records) {
                        records.addAll(batch);
                    }
                }
            }
        } catch (WakeupException e) {
            // closing
        } finally {
            consumer.close(Duration.ofSeconds(5));
        }
    }

    private static JsonNode parse(String value) {
        if (value == null || value.isEmpty() || value.charAt(0) != '{') {
            return null;
        }
        try {
            return JSON.readTree(value);
        } catch (IOException e) {
            return null;
        }
    }

    /** The records of {@code topic} so far that match. */
    List<Rec> of(String topic, Predicate<Rec> filter) {
        synchronized (records) {
            return records.stream()
                    .filter(r -> r.topic().equals(topic) && filter.test(r))
                    .toList();
        }
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        consumer.wakeup();
        poller.join(10_000);
    }
}
