package dev.dispatch.messaging;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.persistence.EntityManager;
import jakarta.transaction.Transactional;
import java.sql.PreparedStatement;
import java.util.List;
import org.hibernate.Session;

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

    /**
     * Writes several job events in one multi-row insert, in list order (a group commit's worth); the same rows
     * {@link #onJobEvent} writes one at a time. Joins the caller's transaction.
     */
    @Transactional(Transactional.TxType.MANDATORY)
    public void jobEvents(List<JobEvent> batch) {
        if (batch.isEmpty()) {
            return;
        }
        int n = batch.size();
        String[] keys = new String[n];
        String[] tenants = new String[n];
        String[] types = new String[n];
        String[] payloads = new String[n];
        for (int i = 0; i < n; i++) {
            JobEvent event = batch.get(i);
            keys[i] = event.jobId() == null ? null : event.jobId().toString();
            tenants[i] = event.tenant();
            types[i] = "dev.dispatch.job." + event.type();
            payloads[i] = body(event);
        }
        em.unwrap(Session.class).doWork(connection -> {
            try (PreparedStatement ps =
                    connection.prepareStatement("insert into outbox (topic, record_key, tenant_id, type, payload) "
                            + "select ?, r.record_key, r.tenant_id, r.type, cast(r.payload as jsonb) "
                            + "from unnest(?, ?, ?, ?) with ordinality as r(record_key, tenant_id, type, payload, n) "
                            + "order by r.n")) {
                ps.setString(1, Topics.JOB_EVENTS);
                ps.setArray(2, connection.createArrayOf("text", keys));
                ps.setArray(3, connection.createArrayOf("text", tenants));
                ps.setArray(4, connection.createArrayOf("text", types));
                ps.setArray(5, connection.createArrayOf("text", payloads));
                ps.executeUpdate();
            }
        });
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

    private String body(Object payload) {
        try {
            return json.writeValueAsString(payload);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("event not serialisable", e);
        }
    }

    private void insert(String topic, String key, String tenant, String type, Object payload) {
        String body = body(payload);
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
