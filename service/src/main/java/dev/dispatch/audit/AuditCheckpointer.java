package dev.dispatch.audit;

import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

/**
 * Publishes the audit chain heads that moved since their last checkpoint, every
 * {@code dispatch.audit.checkpoint-interval}, in every process (one at a time cluster-wide), so a head is on
 * {@code dispatch.audit-checkpoints.v1} at most about that long after its record.
 */
@ApplicationScoped
public class AuditCheckpointer {
    private static final Logger LOG = Logger.getLogger(AuditCheckpointer.class);
    private static final int BATCH = 1000;
    private final AuditService audit;

    public AuditCheckpointer(AuditService audit) {
        this.audit = audit;
    }

    @Scheduled(
            every = "${dispatch.audit.checkpoint-interval:5s}",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void publishPending() {
        try {
            while (audit.checkpointPending(BATCH) == BATCH) {
                LOG.debug("more audit heads to checkpoint");
            }
        } catch (RuntimeException e) {
            LOG.warnf("audit checkpoints not written (%s); next try in one interval", e.getMessage());
        }
    }
}
