package dev.dispatch.messaging;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.persistence.EntityManager;
import jakarta.transaction.Transactional;

/**
 * Writes host results, job events and audit checkpoints into the {@code outbox} table inside the transaction that produced them, so
 * they are published exactly when that transaction commits, even if this process dies right after.
 */
@ApplicationScoped
public class EventOutbox {
    private final EntityManager em;
    private final ObjectMapper json;

    public EventOutbox(EntityManager em, ObjectMapper json) {
        this.em = em;
        this.json = json;
    }

    @Transactional
    void onHostResult(@Observes HostResultEvent result) {
        insert(Topics.HOST_RESULTS, result.jobId().toString(), result.tenant(), "dev.dispatch.host.result", result);
    }

    @Transactional
    void onJobEvent(@Observes JobEvent event) {
        insert(
                Topics.JOB_EVENTS,
                event.jobId() == null ? null : event.jobId().toString(),
                event.tenant(),
                "dev.dispatch.job." + event.type(),
                event);
    }

    @Transactional
    void onAuditCheckpoint(@Observes AuditCheckpointEvent checkpoint) {
        insert(
                Topics.AUDIT_CHECKPOINTS,
                checkpoint.tenant(),
                checkpoint.tenant(),
                "dev.dispatch.audit.checkpoint",
                checkpoint);
    }

    private void insert(String topic, String key, String tenant, String type, Object payload) {
        String body;
        try {
            body = json.writeValueAsString(payload);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("event not serialisable", e);
        }
        em.createNativeQuery("insert into outbox (topic, record_key, tenant_id, type, payload) "
                        + "values (:topic, :key, :tenant, :type, cast(:payload as jsonb))")
                .setParameter("topic", topic)
                .setParameter("key", key)
                .setParameter("tenant", tenant)
                .setParameter("type", type)
                .setParameter("payload", body)
                .executeUpdate();
    }
}
