package dev.dispatch.audit;

import dev.dispatch.tenancy.Caller;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.EntityManager;
import jakarta.transaction.Transactional;
import java.time.Instant;
import java.util.Map;

/** Appends audit records inside the caller's transaction, so an action and its record commit together. */
@ApplicationScoped
public class AuditService {
    private final EntityManager em;

    public AuditService(EntityManager em) {
        this.em = em;
    }

    /** Records {@code action} on {@code target} by the caller; {@code details} must not contain secrets. */
    @Transactional(Transactional.TxType.MANDATORY)
    public void record(Caller caller, String action, String target, String outcome, Map<String, Object> details) {
        AuditEvent event = new AuditEvent();
        event.tenantId = caller.tenantId();
        event.at = Instant.now();
        event.actor = caller.subject();
        event.action = action;
        event.target = target;
        event.outcome = outcome;
        event.source = caller.source();
        event.details = details;
        em.persist(event);
    }
}
