package dev.dispatch.worker;

import dev.dispatch.job.JobEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.event.TransactionPhase;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Emitter;
import org.eclipse.microprofile.reactive.messaging.OnOverflow;
import org.jboss.logging.Logger;

/** Publishes job lifecycle events on {@code dispatch.job-events.v1} (channel {@code job-events}) after commit. */
@ApplicationScoped
public class JobEventPublisher {
    private static final Logger LOG = Logger.getLogger(JobEventPublisher.class);
    private final Emitter<JobEvent> emitter;

    public JobEventPublisher(@Channel("job-events") @OnOverflow(OnOverflow.Strategy.UNBOUNDED_BUFFER)
            Emitter<JobEvent> emitter) {
        this.emitter = emitter;
    }

    void onJobEvent(@Observes(during = TransactionPhase.AFTER_SUCCESS) JobEvent event) {
        KafkaSend.send(emitter, event, event.jobId() == null ? null : event.jobId().toString(), event.tenant(),
                "dev.dispatch.job." + event.type())
                .whenComplete((ok, e) -> {
                    if (e != null) {
                        LOG.errorf("job event %s of %s not published: %s", event.type(), event.jobId(),
                                e.getMessage());
                    }
                });
    }
}
