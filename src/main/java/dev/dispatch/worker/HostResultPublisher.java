package dev.dispatch.worker;

import dev.dispatch.job.HostResultEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.event.TransactionPhase;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Emitter;
import org.eclipse.microprofile.reactive.messaging.OnOverflow;
import org.jboss.logging.Logger;

/** Publishes each finished host run on {@code dispatch.host-results.v1} (channel {@code host-results}) after commit. */
@ApplicationScoped
public class HostResultPublisher {
    private static final Logger LOG = Logger.getLogger(HostResultPublisher.class);
    private final Emitter<HostResultEvent> emitter;

    public HostResultPublisher(@Channel("host-results") @OnOverflow(OnOverflow.Strategy.UNBOUNDED_BUFFER)
            Emitter<HostResultEvent> emitter) {
        this.emitter = emitter;
    }

    void onFinished(@Observes(during = TransactionPhase.AFTER_SUCCESS) HostResultEvent result) {
        KafkaSend.send(emitter, result, result.jobId().toString(), result.tenant(), "dev.dispatch.host.result")
                .whenComplete((ok, e) -> {
                    if (e != null) {
                        LOG.errorf("host result of job %s on %s not published: %s", result.jobId(), result.host(),
                                e.getMessage());
                    }
                });
    }
}
