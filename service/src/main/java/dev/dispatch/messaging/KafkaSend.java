package dev.dispatch.messaging;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.reactive.messaging.ce.OutgoingCloudEventMetadata;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import java.net.URI;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.eclipse.microprofile.reactive.messaging.Emitter;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.eclipse.microprofile.reactive.messaging.Metadata;

/**
 * Sends one keyed record with CloudEvents binary-mode metadata and a {@code tenant} extension (absent when the tenant
 * is unknown, e.g. an unauthenticated intake rejection); completes on ack, or exceptionally, never throws.
 */
final class KafkaSend {
    private static final URI SOURCE = URI.create("urn:dispatch");

    private KafkaSend() {}

    static <T> CompletableFuture<Void> send(Emitter<T> emitter, T payload, String key, String tenant, String type) {
        try {
            return send(emitter, Message.of(payload, cloudEvent(key, tenant, type)));
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /** Sends {@code message} as it is; completes on ack, or exceptionally on nack or a refused send. */
    static <T> CompletableFuture<Void> send(Emitter<T> emitter, Message<T> message) {
        CompletableFuture<Void> acked = new CompletableFuture<>();
        Message<T> tracked = message.withAck(() -> {
                    acked.complete(null);
                    return CompletableFuture.completedFuture(null);
                })
                .withNack(e -> {
                    acked.completeExceptionally(e);
                    return CompletableFuture.completedFuture(null);
                });
        try {
            emitter.send(tracked);
        } catch (RuntimeException e) {
            acked.completeExceptionally(e);
        }
        return acked;
    }

    /** The counter {@code dispatch_kafka_publish_failures_total} of one topic. */
    static Counter failureCounter(MeterRegistry metrics, String topic) {
        return Counter.builder("dispatch.kafka.publish.failures")
                .description("Kafka records the broker did not acknowledge (nacked or not sent)")
                .tag("topic", topic)
                .register(metrics);
    }

    /** The same future, counting its failure in {@code failures}. */
    static CompletableFuture<Void> counted(CompletableFuture<Void> sent, Counter failures) {
        return sent.whenComplete((ok, e) -> {
            if (e != null) {
                failures.increment();
            }
        });
    }

    private static Metadata cloudEvent(String key, String tenant, String type) {
        var cloudEvent = OutgoingCloudEventMetadata.builder()
                .withId(UUID.randomUUID().toString())
                .withSource(SOURCE)
                .withType(type);
        if (key != null) {
            cloudEvent.withSubject(key);
        }
        if (tenant != null) {
            cloudEvent.withExtension("tenant", tenant);
        }
        return Metadata.of(
                OutgoingKafkaRecordMetadata.<String>builder().withKey(key).build(), cloudEvent.build());
    }
}
