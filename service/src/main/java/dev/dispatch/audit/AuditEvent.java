package dev.dispatch.audit;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.Map;
import org.hibernate.annotations.JdbcTypeCode;
import org.hibernate.type.SqlTypes;

/** One append-only audit record: who did what to which target, from where, with what outcome. Never holds secrets. */
@Entity
@Table(name = "audit_event")
public class AuditEvent extends PanacheEntityBase {
    @Id
    @GeneratedValue(strategy = GenerationType.IDENTITY)
    public Long id;

    @Column(name = "tenant_id", nullable = false, updatable = false)
    public String tenantId;

    /** Position in the tenant's chain: 1, 2, 3, ... without gaps. */
    @Column(nullable = false, updatable = false)
    public long seq;

    /** How {@link #hash} is computed: 1 unkeyed SHA-256 (rows before V13), 2 HMAC-SHA256, see {@link AuditChain}. */
    @Column(name = "chain_version", nullable = false, updatable = false)
    public short chainVersion;

    @Column(nullable = false, updatable = false)
    public Instant at;

    @Column(nullable = false, updatable = false)
    public String actor;

    @Column(nullable = false, updatable = false)
    public String action;

    @Column(updatable = false)
    public String target;

    @Column(nullable = false, updatable = false)
    public String outcome;

    @Column(updatable = false)
    public String source;

    @JdbcTypeCode(SqlTypes.JSON)
    @Column(updatable = false)
    public Map<String, Object> details;

    /** Chain value of the tenant's previous audit row (null for the first). */
    @Column(name = "prev_hash", updatable = false)
    public byte[] prevHash;

    /** HMAC (or, for version 1, SHA-256) over {@link #prevHash} and this row's content, see {@link AuditChain}. */
    @Column(updatable = false)
    public byte[] hash;
}
