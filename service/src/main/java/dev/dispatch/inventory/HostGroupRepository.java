package dev.dispatch.inventory;

import io.quarkus.hibernate.orm.panache.PanacheRepositoryBase;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/** Host groups, always within a tenant. */
@ApplicationScoped
public class HostGroupRepository implements PanacheRepositoryBase<HostGroup, UUID> {
    /** The tenant's group by name. */
    public Optional<HostGroup> findByName(String tenantId, String name) {
        return find("tenantId = ?1 and name = ?2", tenantId, name).firstResultOptional();
    }

    /** All of the tenant's groups, by name. */
    public List<HostGroup> listForTenant(String tenantId) {
        return list("tenantId = ?1 order by name", tenantId);
    }
}
