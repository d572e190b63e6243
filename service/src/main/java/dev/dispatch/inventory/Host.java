package dev.dispatch.inventory;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.hibernate.annotations.JdbcTypeCode;
import org.hibernate.type.SqlTypes;

/** An inventory host of one tenant: where it is, as whom to log in, with which credential. */
@Entity
@Table(name = "host")
public class Host extends PanacheEntityBase {
    @Id
    public UUID id;

    @Column(name = "tenant_id", nullable = false, updatable = false)
    public String tenantId;

    @Column(nullable = false, updatable = false)
    public String name;

    @Column(nullable = false)
    public String address;

    public int port;

    @Column(name = "username", nullable = false)
    public String user;

    @Column(name = "credential_name")
    public String credential;

    @JdbcTypeCode(SqlTypes.JSON)
    public Map<String, String> labels;

    @JdbcTypeCode(SqlTypes.JSON)
    public List<String> groups;

    @Column(name = "host_key_policy")
    public String hostKeyPolicy;

    /** Jump hosts (inventory names of the same tenant, comma-separated, first hop first), or null. */
    @Column(name = "proxy_jump")
    public String proxyJump;

    @Column(name = "created_at", nullable = false, updatable = false)
    public Instant createdAt;

    @Column(name = "updated_at", nullable = false)
    public Instant updatedAt;
}
