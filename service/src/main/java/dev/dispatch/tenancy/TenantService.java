package dev.dispatch.tenancy;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.EntityManager;
import jakarta.transaction.Transactional;
import java.util.List;

/** Tenants exist as soon as a trusted token names them; this records them on first use. */
@ApplicationScoped
public class TenantService {
    private final EntityManager em;

    public TenantService(EntityManager em) {
        this.em = em;
    }

    /** Inserts the tenant row if it is missing; joins the caller's transaction. */
    @Transactional
    public void ensureExists(String tenantId) {
        em.createNativeQuery("insert into tenant (id) values (:id) on conflict (id) do nothing")
                .setParameter("id", tenantId)
                .executeUpdate();
    }

    /** The tenant's default host key policy ({@code strict} unless changed). */
    @Transactional
    public String hostKeyPolicy(String tenantId) {
        return settings(tenantId).hostKeyPolicy();
    }

    /** The tenant's settings; {@link TenantSettings#DEFAULTS} for a tenant without a row. Joins a transaction. */
    @Transactional
    public TenantSettings settings(String tenantId) {
        List<?> rows = em.createNativeQuery(
                        "select host_key_policy, allow_host_key_policy_off from tenant where id = :id")
                .setParameter("id", tenantId)
                .getResultList();
        if (rows.isEmpty()) {
            return TenantSettings.DEFAULTS;
        }
        Object[] row = (Object[]) rows.get(0);
        return new TenantSettings((String) row[0], (Boolean) row[1]);
    }

    /**
     * The tenant's settings, row-locked until the transaction ends so that a concurrent change of
     * {@code allowHostKeyPolicyOff} cannot slip past a check made under it. Creates the row if missing.
     */
    @Transactional(Transactional.TxType.MANDATORY)
    public TenantSettings lockSettings(String tenantId) {
        ensureExists(tenantId);
        Object[] row = (Object[]) em.createNativeQuery(
                        "select host_key_policy, allow_host_key_policy_off from tenant where id = :id for update")
                .setParameter("id", tenantId)
                .getSingleResult();
        return new TenantSettings((String) row[0], (Boolean) row[1]);
    }

    /** Writes the tenant's settings (already validated by the caller); joins the caller's transaction. */
    @Transactional(Transactional.TxType.MANDATORY)
    public void writeSettings(String tenantId, TenantSettings settings) {
        ensureExists(tenantId);
        em.createNativeQuery("update tenant set host_key_policy = :policy, allow_host_key_policy_off = :allow"
                        + " where id = :id")
                .setParameter("policy", settings.hostKeyPolicy())
                .setParameter("allow", settings.allowHostKeyPolicyOff())
                .setParameter("id", tenantId)
                .executeUpdate();
    }
}
