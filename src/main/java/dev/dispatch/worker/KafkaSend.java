package dev.dispatch.worker;

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

    private KafkaSend() {
    }

    static <T> CompletableFuture<Void> send(Emitter<T> emitter, T payload, String key, String tenant, String type) {
        try {
            return doSend(emitter, payload, key, tenant, type);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    private static <T> CompletableFuture<Void> doSend(Emitter<T> emitter, T payload, String key, String tenant,
            String type) {
        CompletableFuture<Void> acked = new CompletableFuture<>();
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
        Metadata metadata = Metadata.of(OutgoingKafkaRecordMetadata.<String>builder().withKey(key).build(),
                cloudEvent.build());
        Message<T> message = Message.of(payload, metadata)
                .withAck(() -> {
                    acked.complete(null);
                    return CompletableFuture.completedFuture(null);
                })
                .withNack(e -> {
                    acked.completeExceptionally(e);
                    return CompletableFuture.completedFuture(null);
                });
        try {
            emitter.send(message);
        } catch (RuntimeException e) {
            acked.completeExceptionally(e);
        }
        return acked;
    }
}
