package dev.dispatch.worker;

import jakarta.enterprise.context.ApplicationScoped;
import java.util.concurrent.CompletableFuture;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Emitter;
import org.eclipse.microprofile.reactive.messaging.OnOverflow;

/** Publishes output chunks on {@code dispatch.output.v1} (channel {@code job-output}), keyed {@code jobId/host}. */
@ApplicationScoped
public class OutputChunkPublisher {
    private final Emitter<OutputChunkEvent> emitter;

    public OutputChunkPublisher(@Channel("job-output") @OnOverflow(OnOverflow.Strategy.UNBOUNDED_BUFFER)
            Emitter<OutputChunkEvent> emitter) {
        this.emitter = emitter;
    }

    /** Sends a chunk; the future completes when the broker acknowledged it. Callers bound what is in flight. */
    public CompletableFuture<Void> publish(String tenant, OutputChunkEvent chunk) {
        return KafkaSend.send(emitter, chunk, chunk.jobId() + "/" + chunk.host(), tenant, "dev.dispatch.output.chunk");
    }
}
