package dev.dispatch.inventory;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.UUID;

/** A named private key, stored encrypted; only its type and fingerprint are ever shown. */
@Entity
@Table(name = "credential")
public class Credential extends PanacheEntityBase {
    @Id
    public UUID id;

    @Column(name = "tenant_id", nullable = false, updatable = false)
    public String tenantId;

    @Column(nullable = false, updatable = false)
    public String name;

    @Column(name = "key_type", nullable = false)
    public String keyType;

    @Column(nullable = false)
    public String fingerprint;

    @Column(name = "encrypted_key", nullable = false)
    public byte[] encryptedKey;

    @Column(name = "encrypted_passphrase")
    public byte[] encryptedPassphrase;

    @Column(name = "created_at", nullable = false, updatable = false)
    public Instant createdAt;

    @Column(name = "updated_at", nullable = false)
    public Instant updatedAt;

    @Override
    public String toString() {
        return "Credential[" + tenantId + "/" + name + " " + keyType + " " + fingerprint + "]";
    }
}
