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

    /** Removes every key of the tenant's host; returns how many. */
    public long deleteForHost(String tenantId, String hostName) {
        return delete("tenantId = ?1 and hostName = ?2", tenantId, hostName);
    }
}
