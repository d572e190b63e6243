package dev.dispatch.inventory;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.UUID;

/** A host key the tenant trusts (or has revoked) for one inventory host. */
@Entity
@Table(name = "known_host_key")
public class KnownHostKey extends PanacheEntityBase {
    @Id
    public UUID id;

    @Column(name = "tenant_id", nullable = false, updatable = false)
    public String tenantId;

    @Column(name = "host_name", nullable = false, updatable = false)
    public String hostName;

    /** Null, {@code revoked} or {@code cert-authority}. */
    public String marker;

    @Column(name = "key_type", nullable = false)
    public String keyType;

    @Column(name = "public_key", nullable = false)
    public String publicKey;

    @Column(nullable = false)
    public String fingerprint;

    @Column(name = "created_at", nullable = false, updatable = false)
    public Instant createdAt;

    @Column(name = "created_by", nullable = false, updatable = false)
    public String createdBy;
}
