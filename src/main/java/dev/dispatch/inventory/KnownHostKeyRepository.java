package dev.dispatch.inventory;

import io.quarkus.hibernate.orm.panache.PanacheRepositoryBase;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;
import java.util.UUID;

/** Known host keys, always within a tenant. */
@ApplicationScoped
public class KnownHostKeyRepository implements PanacheRepositoryBase<KnownHostKey, UUID> {
    /** Keys recorded for the tenant's host. */
    public List<KnownHostKey> forHost(String tenantId, String hostName) {
        return list("tenantId = ?1 and hostName = ?2 order by createdAt", tenantId, hostName);
    }

    /** Every key of the tenant, by host name, then in the order stored. */
    public List<KnownHostKey> listForTenant(String tenantId) {
        return list("tenantId = ?1 order by hostName, createdAt", tenantId);
    }

    /** Removes every key of the tenant's host; returns how many. */
    public long deleteForHost(String tenantId, String hostName) {
        return delete("tenantId = ?1 and hostName = ?2", tenantId, hostName);
    }
}
