package dev.dispatch.inventory;

import io.quarkus.hibernate.orm.panache.PanacheRepositoryBase;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/** Inventory hosts, always within a tenant. */
@ApplicationScoped
public class HostRepository implements PanacheRepositoryBase<Host, UUID> {
    /** The tenant's host by name. */
    public Optional<Host> findByName(String tenantId, String name) {
        return find("tenantId = ?1 and name = ?2", tenantId, name).firstResultOptional();
    }

    /** The tenant's hosts among the given names. */
    public List<Host> findByNames(String tenantId, Collection<String> names) {
        return list("tenantId = ?1 and name in ?2", tenantId, names);
    }

    /** All of the tenant's hosts, by name. */
    public List<Host> listForTenant(String tenantId) {
        return list("tenantId = ?1 order by name", tenantId);
    }

    /** Names of the tenant's hosts that log in with the given credential, sorted. */
    public List<String> namesUsingCredential(String tenantId, String credential) {
        return list("tenantId = ?1 and credential = ?2 order by name", tenantId, credential).stream()
                .map(h -> h.name)
                .toList();
    }
}
