package dev.dispatch.inventory;

import io.quarkus.hibernate.orm.panache.PanacheRepositoryBase;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Collection;
import java.util.List;
import java.util.UUID;

/** Known host keys, always within a tenant. */
@ApplicationScoped
public class KnownHostKeyRepository implements PanacheRepositoryBase<KnownHostKey, UUID> {
    /** Keys recorded for the tenant's host. */
    public List<KnownHostKey> forHost(String tenantId, String hostName) {
        return list("tenantId = ?1 and hostName = ?2 order by createdAt", tenantId, hostName);
    }

    /** Keys recorded for any of the tenant's hosts, by host name, then in the order stored. */
    public List<KnownHostKey> forHosts(String tenantId, Collection<String> hostNames) {
        return hostNames.isEmpty()
                ? List.of()
                : list("tenantId = ?1 and hostName in ?2 order by hostName, createdAt", tenantId, hostNames);
    }

    /** Every key of the tenant, by host name, then in the order stored. */
    public List<KnownHostKey> listForTenant(String tenantId) {
        return list("tenantId = ?1 order by hostName, createdAt", tenantId);
    }

    /** Serialises writers of one host's keys until the transaction ends (a transaction-scoped advisory lock). */
    public void lockHost(String tenantId, String hostName) {
        getEntityManager()
                .createNativeQuery("select pg_advisory_xact_lock(hashtext('known-host:' || :tenant || '/' || :host))")
                .setParameter("tenant", tenantId)
                .setParameter("host", hostName)
                .getSingleResult();
    }

    /** Inserts an unmarked (trusted) key unless the tenant already has it for the host; true when it was inserted. */
    public boolean insertIfAbsent(KnownHostKey k) {
        return getEntityManager()
                        .createNativeQuery("""
                insert into known_host_key (id, tenant_id, host_name, key_type, public_key, fingerprint, created_at,
                                            created_by)
                values (:id, :tenant, :host, :type, :key, :fingerprint, :at, :by)
                on conflict (tenant_id, host_name, public_key) do nothing""")
                        .setParameter("id", k.id)
                        .setParameter("tenant", k.tenantId)
                        .setParameter("host", k.hostName)
                        .setParameter("type", k.keyType)
                        .setParameter("key", k.publicKey)
                        .setParameter("fingerprint", k.fingerprint)
                        .setParameter("at", k.createdAt)
                        .setParameter("by", k.createdBy)
                        .executeUpdate()
                == 1;
    }

    /** Removes every key of the tenant's host; returns how many. */
    public long deleteForHost(String tenantId, String hostName) {
        return delete("tenantId = ?1 and hostName = ?2", tenantId, hostName);
    }
}
