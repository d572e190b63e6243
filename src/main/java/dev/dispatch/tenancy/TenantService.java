package dev.dispatch.tenancy;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.EntityManager;
import jakarta.transaction.Transactional;

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
        var rows = em.createNativeQuery("select host_key_policy from tenant where id = :id", String.class)
                .setParameter("id", tenantId)
                .getResultList();
        return rows.isEmpty() ? "strict" : (String) rows.get(0);
    }
}
