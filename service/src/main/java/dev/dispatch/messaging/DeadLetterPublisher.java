package dev.dispatch.messaging;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
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
 * the original key and bytes, plus {@code dispatch-error-type} (the reason, never cut), {@code dispatch-error-detail}
 * (cut to {@value #MAX_DETAIL_BYTES} bytes) and {@code dispatch-origin} (topic/partition@offset of the original).
 * None of the original headers is copied: they carry the submitter's bearer token. An original too large to fit the
 * producer's request limit next to these headers is replaced by an empty value and a {@code dispatch-original-size}
 * header, so a dead letter can always be sent. Sends do not wait for each other; the emitter's buffer is bounded.
 */
@ApplicationScoped
public class DeadLetterPublisher {
    /** Most bytes of {@code dispatch-error-detail}. */
    public static final int MAX_DETAIL_BYTES = 4096;
    /** The producer's {@code max.request.size} (Kafka's default), less room for the record's own framing. */
    static final int MAX_VALUE_BYTES = 1_048_576 - 16_384;

    private final Emitter<byte[]> emitter;
    private final Counter failures;

    public DeadLetterPublisher(
            @Channel("job-requests-dlq") @OnOverflow(value = OnOverflow.Strategy.BUFFER, bufferSize = 4096)
                    Emitter<byte[]> emitter,
            MeterRegistry metrics) {
        this.emitter = emitter;
        this.failures = KafkaSend.failureCounter(metrics, Topics.JOB_REQUESTS_DLQ);
    }

    /**
     * Sends the dead letter; the future completes when the broker acknowledged it, or exceptionally (counted in
     * {@code dispatch_kafka_publish_failures_total}). Never throws.
     */
    public CompletableFuture<Void> publish(
            String key, byte[] original, String errorType, String detail, String origin) {
        byte[] value = original == null ? new byte[0] : original;
        RecordHeaders headers = new RecordHeaders();
        headers.add("dispatch-error-type", errorType.getBytes(StandardCharsets.UTF_8));
        headers.add("dispatch-error-detail", truncate(detail, MAX_DETAIL_BYTES));
        headers.add("dispatch-origin", origin.getBytes(StandardCharsets.UTF_8));
        int keyBytes = key == null ? 0 : key.getBytes(StandardCharsets.UTF_8).length;
        if (value.length + keyBytes + MAX_DETAIL_BYTES > MAX_VALUE_BYTES) {
            headers.add("dispatch-original-size", Integer.toString(value.length).getBytes(StandardCharsets.UTF_8));
            value = new byte[0];
        }
        Message<byte[]> message = Message.of(
                value,
                Metadata.of(OutgoingKafkaRecordMetadata.<String>builder()
                        .withKey(key)
                        .withHeaders(headers)
                        .build()));
        return KafkaSend.counted(KafkaSend.send(emitter, message), failures);
    }

    /** The UTF-8 bytes of {@code text}, at most {@code max}, cut on a character boundary. */
    static byte[] truncate(String text, int max) {
        byte[] bytes = (text == null ? "" : text).getBytes(StandardCharsets.UTF_8);
        if (bytes.length <= max) {
            return bytes;
        }
        int end = max - 3;
        while (end > 0 && (bytes[end] & 0xC0) == 0x80) {
            end--;
        }
        byte[] cut = new byte[end + 3];
        System.arraycopy(bytes, 0, cut, 0, end);
        cut[end] = (byte) 0xE2;
        cut[end + 1] = (byte) 0x80;
        cut[end + 2] = (byte) 0xA6;
        return cut;
    }
}
