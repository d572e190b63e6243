package dev.dispatch.bench;

import dev.dispatch.testing.DispatchProcess;
import dev.dispatch.testing.OpenSshHosts;
import dev.dispatch.testing.TestServicesResource;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.Future;
import java.util.function.IntFunction;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/**
 * On-demand benchmark of Kafka intake, run with {@code bin/benchmark intake [MESSAGES]}; never part of CI's pass/fail.
 * A backlog of {@code -Dbench.messages} (default 5000) messages is written to a fresh intake topic (3 partitions)
 * before an api-role process starts consuming it; the rate is counted over the second half of the backlog (from the
 * message in the middle finished, dead letter acknowledged or job stored, to the last), so process start, group join
 * and the JIT's warm-up on the first half are not in it. The baseline, measured
 * in the same run on the same broker, is a bare Kafka client that reads the same backlog and forwards every record to
 * another topic with {@code acks=all}: the most a consume-and-dead-letter loop can do here.
 */
class IntakeBenchmark {
    private static final int MESSAGES = Integer.getInteger("bench.messages", 10000);
    /** Which rows to run ({@code -Dbench.rows=malformed,good}); all by default. */
    private static final List<String> ROWS =
            List.of(System.getProperty("bench.rows", "malformed,invalid,poison,good,mixed")
                    .split(","));

    private static final String DLQ = "dispatch.job-requests.dlq.v1";

    @Test
    void intake() throws Exception {
        TestServicesResource services = new TestServicesResource();
        Map<String, String> config = services.start();
        String bootstrap = config.get("kafka.bootstrap.servers");
        Path work = Files.createTempDirectory("dispatch-bench-intake");
        List<String> rows = new ArrayList<>();
        try (OpenSshHosts fleet = OpenSshHosts.start(1, work.resolve("fleet"))) {
            String tenant = "bench-intake-" + UUID.randomUUID().toString().substring(0, 8);
            String token = DispatchProcess.adminToken(config, tenant, "bench");
            String host;
            try (DispatchProcess api = DispatchProcess.start("bench-intake-setup", env(config, "unused"))) {
                host = api.register(token, fleet).get(0);
            }
            double bare = bareForwarder(bootstrap);
            rows.add(String.format(
                    "| bare Kafka client: consume + forward, acks=all (baseline) | %8.0f | 1.00 | – |", bare));
            String nonce = UUID.randomUUID().toString().substring(0, 8);
            if (ROWS.contains("malformed")) {
                double malformed = deadLetterRate(config, token, "malformed-" + nonce, i -> "{not json " + i);
                rows.add(row("malformed JSON → dead letter", malformed, bare));
            }
            if (ROWS.contains("invalid")) {
                double invalid = deadLetterRate(
                        config,
                        token,
                        "invalid-" + nonce,
                        i -> "{\"kind\":\"exec\"," + "\"command\":\"true\",\"targets\":{\"hosts\":[\"no-such-host-" + i
                                + "\"]}}");
                rows.add(row("valid JSON, unknown host (database lookup) → dead letter", invalid, bare));
            }
            if (ROWS.contains("poison")) {
                double poison = deadLetterRate(
                        config,
                        token,
                        "poison-" + nonce,
                        i -> "{\"kind\":\"exec\"," + "\"command\":\"echo \\u0000\",\"targets\":{\"hosts\":[\"" + host
                                + "\"]}}");
                rows.add(row("NUL in command (poison pill) → dead letter", poison, bare));
            }
            if (ROWS.contains("good")) {
                double good = storedRate(config, token, tenant, "good-" + nonce, host);
                rows.add(row("valid job → stored (job, host run, audit, outbox event)", good, bare));
            }
            long latency = ROWS.contains("mixed") ? goodAfterBad(config, token, tenant, "mixed-" + nonce, host) : -1;
            System.out.printf(
                    "%nIntake benchmark: %d messages per row, %d cores, one api-role process%n",
                    MESSAGES, Runtime.getRuntime().availableProcessors());
            System.out.println("| backlog | messages/s | ratio to baseline | |");
            System.out.println("|---|---|---|---|");
            rows.forEach(System.out::println);
            System.out.printf(
                    "A good message behind 1000 malformed ones: stored %d ms after the last dead letter"
                            + " was acknowledged.%n",
                    latency);
        } finally {
            services.stop();
        }
    }

    private static String row(String what, double rate, double bare) {
        return String.format("| %s | %8.0f | %.2f | |", what, rate, rate / bare);
    }

    private static Map<String, String> env(Map<String, String> config, String topic) {
        Map<String, String> env = DispatchProcess.env(config, "api", "bench-intake");
        env.put("MP_MESSAGING_INCOMING_JOB_SUBMISSIONS_ENABLED", "true");
        env.put("MP_MESSAGING_INCOMING_JOB_SUBMISSIONS_TOPIC", topic);
        env.put("QUARKUS_LOG_LEVEL", "WARN");
        return env;
    }

    /** Writes the backlog to a fresh topic; returns its name. */
    private static String backlog(
            String bootstrap, String token, String prefix, IntFunction<String> value, int count, List<String> extra)
            throws Exception {
        String topic = "bench-intake-" + prefix;
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
            admin.createTopics(List.of(new NewTopic(topic, 3, (short) 1))).all().get();
        }
        try (KafkaProducer<String, String> producer = producer(bootstrap)) {
            List<Future<RecordMetadata>> sent = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                sent.add(producer.send(record(topic, prefix + "-" + i, value.apply(i), token)));
            }
            for (String v : extra) {
                sent.add(producer.send(record(topic, prefix + "-last", v, token)));
            }
            for (Future<RecordMetadata> f : sent) {
                f.get();
            }
        }
        return topic;
    }

    private static ProducerRecord<String, String> record(String topic, String key, String value, String token) {
        RecordHeaders headers = new RecordHeaders();
        headers.add("authorization", ("Bearer " + token).getBytes(StandardCharsets.UTF_8));
        return new ProducerRecord<>(topic, null, key, value, headers);
    }

    private static double deadLetterRate(
            Map<String, String> config, String token, String prefix, IntFunction<String> value) throws Exception {
        String bootstrap = config.get("kafka.bootstrap.servers");
        String topic = backlog(bootstrap, token, prefix, value, MESSAGES, List.of());
        try (KafkaConsumer<String, String> dlq = consumer(bootstrap, DLQ);
                DispatchProcess api = DispatchProcess.start("bench-intake-" + prefix, env(config, topic))) {
            long first = 0;
            long last = 0;
            int seen = 0;
            long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
            while (seen < MESSAGES && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> r : dlq.poll(Duration.ofMillis(20))) {
                    if (r.key() != null && r.key().startsWith(prefix + "-")) {
                        long now = System.nanoTime();
                        first = ++seen == MESSAGES / 2 ? now : first;
                        last = now;
                    }
                }
            }
            if (seen < MESSAGES) {
                throw new IllegalStateException(
                        prefix + ": only " + seen + " of " + MESSAGES + " dead letters\n" + api.tail());
            }
            return (MESSAGES - MESSAGES / 2) / ((last - first) / 1e9);
        }
    }

    private static double storedRate(
            Map<String, String> config, String token, String tenant, String prefix, String host) throws Exception {
        String topic = backlog(
                config.get("kafka.bootstrap.servers"),
                token,
                prefix,
                i -> job(host, prefix + "-" + i),
                MESSAGES,
                List.of());
        try (Connection db = DriverManager.getConnection(
                        config.get("quarkus.datasource.jdbc.url"), config.get("quarkus.datasource.username"), null);
                DispatchProcess api = DispatchProcess.start("bench-intake-" + prefix, env(config, topic))) {
            long first = 0;
            long half = 0;
            long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
            while (System.nanoTime() < deadline) {
                long stored = stored(db, tenant, prefix);
                long now = System.nanoTime();
                if (stored >= MESSAGES / 2 && first == 0) {
                    first = now;
                    half = stored;
                }
                if (stored == MESSAGES) {
                    return (MESSAGES - half) / ((now - first) / 1e9);
                }
                Thread.sleep(5);
            }
            throw new IllegalStateException(prefix + ": only " + stored(db, tenant, prefix) + " stored\n" + api.tail());
        }
    }

    /** Milliseconds from the last of 1000 dead letters being acknowledged to the good message behind them stored. */
    private static long goodAfterBad(
            Map<String, String> config, String token, String tenant, String prefix, String host) throws Exception {
        String bootstrap = config.get("kafka.bootstrap.servers");
        String topic = backlog(bootstrap, token, prefix, i -> "{junk " + i, 1000, List.of(job(host, prefix + "-good")));
        try (KafkaConsumer<String, String> dlq = consumer(bootstrap, DLQ);
                Connection db = DriverManager.getConnection(
                        config.get("quarkus.datasource.jdbc.url"), config.get("quarkus.datasource.username"), null);
                DispatchProcess api = DispatchProcess.start("bench-intake-" + prefix, env(config, topic))) {
            int seen = 0;
            long lastDeadLetter = 0;
            long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
            while (seen < 1000 && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> r : dlq.poll(Duration.ofMillis(20))) {
                    if (r.key() != null && r.key().startsWith(prefix + "-")) {
                        seen++;
                        lastDeadLetter = System.nanoTime();
                    }
                }
            }
            while (System.nanoTime() < deadline) {
                if (stored(db, tenant, prefix + "-good") == 1) {
                    return Math.max(0, (System.nanoTime() - lastDeadLetter) / 1_000_000);
                }
                Thread.sleep(5);
            }
            throw new IllegalStateException(prefix + ": the good message was not stored\n" + api.tail());
        }
    }

    private static String job(String host, String key) {
        return "{\"kind\":\"exec\",\"command\":\"true\",\"targets\":{\"hosts\":[\"" + host + "\"]},"
                + "\"idempotencyKey\":\"" + key + "\"}";
    }

    private static long stored(Connection db, String tenant, String prefix) throws Exception {
        try (PreparedStatement s =
                db.prepareStatement("select count(*) from job where tenant_id = ? and idempotency_key like ?")) {
            s.setString(1, tenant);
            s.setString(2, prefix + "%");
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    /** The baseline: a plain consumer forwarding a backlog of the same size to another topic, acks=all. */
    private static double bareForwarder(String bootstrap) throws Exception {
        String prefix = "bare-" + UUID.randomUUID().toString().substring(0, 8);
        String topic = backlog(bootstrap, "unused", prefix, i -> "{not json " + i, MESSAGES, List.of());
        String sink = topic + "-out";
        try (KafkaConsumer<String, String> in = consumer(bootstrap, topic);
                KafkaProducer<String, String> out = producer(bootstrap)) {
            List<Future<RecordMetadata>> sent = new ArrayList<>();
            long first = 0;
            int seen = 0;
            while (seen < MESSAGES) {
                for (ConsumerRecord<String, String> r : in.poll(Duration.ofMillis(100))) {
                    first = seen++ == 0 ? System.nanoTime() : first;
                    sent.add(out.send(new ProducerRecord<>(sink, r.key(), r.value())));
                }
                in.commitAsync();
            }
            for (Future<RecordMetadata> f : sent) {
                f.get();
            }
            in.commitSync();
            return (MESSAGES - 1) / ((System.nanoTime() - first) / 1e9);
        }
    }

    private static KafkaProducer<String, String> producer(String bootstrap) {
        Properties p = new Properties();
        p.put("bootstrap.servers", bootstrap);
        p.put("acks", "all");
        return new KafkaProducer<>(p, new StringSerializer(), new StringSerializer());
    }

    private static KafkaConsumer<String, String> consumer(String bootstrap, String topic) {
        Properties p = new Properties();
        p.put("bootstrap.servers", bootstrap);
        p.put("group.id", "bench-" + UUID.randomUUID());
        p.put("auto.offset.reset", topic.equals(DLQ) ? "latest" : "earliest");
        p.put("enable.auto.commit", "false");
        KafkaConsumer<String, String> c = new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer());
        c.subscribe(List.of(topic));
        if (topic.equals(DLQ)) {
            while (c.assignment().isEmpty()) {
                c.poll(Duration.ofMillis(100));
            }
        }
        return c;
    }
}
