package dev.dispatch.messaging;

import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Emitter;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.eclipse.microprofile.reactive.messaging.Metadata;
import org.eclipse.microprofile.reactive.messaging.OnOverflow;

/**
 * Publishes rejected intake messages on {@code dispatch.job-requests.dlq.v1} (channel {@code job-requests-dlq}):
 * the original key and bytes, plus {@code dispatch-error-type} and {@code dispatch-error-detail} headers.
 */
@ApplicationScoped
public class DeadLetterPublisher {


    private final Emitter<byte[]> emitter;

    public DeadLetterPublisher(@Channel("job-requests-dlq") @OnOverflow(OnOverflow.Strategy.UNBOUNDED_BUFFER)
            Emitter<byte[]> emitter) {
        this.emitter = emitter;
    }

    /** Sends the dead letter; the future completes when the broker acknowledged it. */
    public CompletableFuture<Void> publish(String key, byte[] original, String errorType, String detail,
            String origin) {
        RecordHeaders headers = new RecordHeaders();
        headers.add("dispatch-error-type", errorType.getBytes(StandardCharsets.UTF_8));
        headers.add("dispatch-error-detail", detail.getBytes(StandardCharsets.UTF_8));
        headers.add("dispatch-origin", origin.getBytes(StandardCharsets.UTF_8));
        CompletableFuture<Void> acked = new CompletableFuture<>();
        Message<byte[]> message = Message.of(original == null ? new byte[0] : original,
                Metadata.of(OutgoingKafkaRecordMetadata.<String>builder().withKey(key).withHeaders(headers).build()))
                .withAck(() -> {
                    acked.complete(null);
                    return CompletableFuture.completedFuture(null);
                })
                .withNack(e -> {
                    acked.completeExceptionally(e);
                    return CompletableFuture.completedFuture(null);
                });
        emitter.send(message);
        return acked;
    }
}
