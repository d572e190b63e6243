package dev.dispatch.inventory;

import io.quarkus.hibernate.orm.panache.PanacheRepositoryBase;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.LockModeType;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/** Credentials, always within a tenant. */
@ApplicationScoped
public class CredentialRepository implements PanacheRepositoryBase<Credential, UUID> {
    /** The tenant's credential by name. */
    public Optional<Credential> findByName(String tenantId, String name) {
        return find("tenantId = ?1 and name = ?2", tenantId, name).firstResultOptional();
    }

    /** The tenant's credentials among the given names. */
    public List<Credential> findByNames(String tenantId, Collection<String> names) {
        return list("tenantId = ?1 and name in ?2", tenantId, names);
    }

    /**
     * The tenant's credentials among the given names, share-locked until the transaction ends, so that a concurrent
     * delete cannot remove a credential that a host being written refers to.
     */
    public List<Credential> lockByNames(String tenantId, Collection<String> names) {
        return find("tenantId = ?1 and name in ?2", tenantId, names)
                .withLock(LockModeType.PESSIMISTIC_READ)
                .list();
    }

    /** The tenant's credential by name, locked for update until the transaction ends. */
    public Optional<Credential> lockForUpdate(String tenantId, String name) {
        return find("tenantId = ?1 and name = ?2", tenantId, name)
                .withLock(LockModeType.PESSIMISTIC_WRITE)
                .firstResultOptional();
    }

    /** All of the tenant's credentials, by name. */
    public List<Credential> listForTenant(String tenantId) {
        return list("tenantId = ?1 order by name", tenantId);
    }
}
