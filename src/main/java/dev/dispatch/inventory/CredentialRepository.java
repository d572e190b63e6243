package dev.dispatch.inventory;

import io.quarkus.hibernate.orm.panache.PanacheRepositoryBase;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Optional;
import java.util.UUID;

/** Credentials, always within a tenant. */
@ApplicationScoped
public class CredentialRepository implements PanacheRepositoryBase<Credential, UUID> {
    /** The tenant's credential by name. */
    public Optional<Credential> findByName(String tenantId, String name) {
        return find("tenantId = ?1 and name = ?2", tenantId, name).firstResultOptional();
    }
}
