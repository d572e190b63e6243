package dev.dispatch.messaging;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.concurrent.CompletableFuture;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Emitter;
import org.eclipse.microprofile.reactive.messaging.OnOverflow;

/**
 * Publishes output chunks on {@code dispatch.output.v1} (channel {@code job-output}), keyed {@code jobId/host}; sends
 * the broker refuses count in {@code dispatch_kafka_publish_failures_total{topic}}.
 */
@ApplicationScoped
public class OutputChunkPublisher {

    private final Emitter<OutputChunkEvent> emitter;
    private final Counter failures;

    public OutputChunkPublisher(
            @Channel("job-output") @OnOverflow(OnOverflow.Strategy.UNBOUNDED_BUFFER) Emitter<OutputChunkEvent> emitter,
            MeterRegistry metrics) {
        this.emitter = emitter;
        this.failures = KafkaSend.failureCounter(metrics, Topics.OUTPUT);
    }

    /** Sends a chunk; the future completes when the broker acknowledged it. Callers bound what is in flight. */
    public CompletableFuture<Void> publish(String tenant, OutputChunkEvent chunk) {
        return KafkaSend.counted(
                KafkaSend.send(emitter, chunk, chunk.jobId() + "/" + chunk.host(), tenant, "dev.dispatch.output.chunk"),
                failures);
    }
}
