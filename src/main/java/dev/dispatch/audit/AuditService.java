package dev.dispatch.audit;

import dev.dispatch.tenancy.Caller;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.EntityManager;
import jakarta.transaction.Transactional;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Appends audit records inside the caller's transaction, so an action and its record commit together, and chains
 * each tenant's records by hash. Appends of one tenant are serialised by a transaction-scoped advisory lock.
 */
@ApplicationScoped
public class AuditService {
    private final EntityManager em;

    public AuditService(EntityManager em) {
        this.em = em;
    }

    /** Outcome of checking a tenant's chain: how many rows were checked and the first row that does not fit. */
    public record Verification(boolean valid, long checked, Long brokenAt) {
    }

    /** Records {@code action} on {@code target} by the caller; {@code details} must not contain secrets. */
    @Transactional(Transactional.TxType.MANDATORY)
    public void record(Caller caller, String action, String target, String outcome, Map<String, Object> details) {
        em.createNativeQuery("select pg_advisory_xact_lock(hashtext('audit:' || :tenant))")
                .setParameter("tenant", caller.tenantId()).getSingleResult();
        List<?> last = em.createNativeQuery(
                "select hash from audit_event where tenant_id = :tenant order by id desc limit 1")
                .setParameter("tenant", caller.tenantId()).getResultList();
        AuditEvent event = new AuditEvent();
        event.tenantId = caller.tenantId();
        event.at = Instant.now().truncatedTo(ChronoUnit.MICROS);
        event.actor = caller.subject();
        event.action = action;
        event.target = target;
        event.outcome = outcome;
        event.source = caller.source();
        event.details = details;
        event.prevHash = last.isEmpty() ? null : (byte[]) last.get(0);
        event.hash = AuditChain.hash(event.prevHash, event);
        em.persist(event);
    }

    /** The tenant's audit records, newest first, older than {@code beforeId} when given. */
    @Transactional
    public List<AuditEvent> list(String tenantId, Long beforeId, String action, int limit) {
        StringBuilder jpql = new StringBuilder("select e from AuditEvent e where e.tenantId = :tenant");
        if (beforeId != null) {
            jpql.append(" and e.id < :before");
        }
        if (action != null) {
            jpql.append(" and e.action = :action");
        }
        var query = em.createQuery(jpql.append(" order by e.id desc").toString(), AuditEvent.class)
                .setParameter("tenant", tenantId);
        if (beforeId != null) {
            query.setParameter("before", beforeId);
        }
        if (action != null) {
            query.setParameter("action", action);
        }
        return query.setMaxResults(limit).getResultList();
    }

    /** Recomputes the tenant's whole chain and reports the first row whose hash or link does not match. */
    @Transactional
    public Verification verify(String tenantId) {
        byte[] previous = null;
        long checked = 0;
        long lastId = 0;
        while (true) {
            List<AuditEvent> page = em.createQuery(
                    "select e from AuditEvent e where e.tenantId = :tenant and e.id > :after order by e.id",
                    AuditEvent.class)
                    .setParameter("tenant", tenantId).setParameter("after", lastId).setMaxResults(500).getResultList();
            if (page.isEmpty()) {
                return new Verification(true, checked, null);
            }
            for (AuditEvent e : page) {
                if (!Arrays.equals(previous, e.prevHash) || !Arrays.equals(AuditChain.hash(previous, e), e.hash)) {
                    return new Verification(false, checked, e.id);
                }
                previous = e.hash;
                checked++;
                lastId = e.id;
            }
            em.clear();
        }
    }
}
