package dev.dispatch.job;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import jakarta.persistence.Version;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import org.hibernate.annotations.JdbcTypeCode;
import org.hibernate.type.SqlTypes;

/** One operation on a resolved set of hosts, owned by one tenant. */
@Entity
@Table(name = "job")
public class Job extends PanacheEntityBase {
    @Id
    public UUID id;

    @Column(name = "tenant_id", nullable = false, updatable = false)
    public String tenantId;

    @Column(nullable = false, updatable = false)
    public String kind;

    @Enumerated(EnumType.STRING)
    @Column(nullable = false)
    public JobState state;

    @JdbcTypeCode(SqlTypes.JSON)
    @Column(nullable = false, updatable = false)
    public JobRequest request;

    /**
     * The request's secrets (see {@link JobSecrets}), sealed with the credentials' key bound to
     * {@link JobSecrets#context}; null when it had none. {@link #request} never holds them (rows older than V12 may,
     * until the startup migration seals them).
     */
    @Column(name = "secrets", updatable = false)
    public byte[] secrets;

    /** Sizes and SHA-256 of the secrets, what the API shows in their place; null when there are none. */
    @JdbcTypeCode(SqlTypes.JSON)
    @Column(name = "secret_digests", updatable = false)
    public JobSecrets.Digests secretDigests;

    @Column(name = "submitted_by", nullable = false, updatable = false)
    public String submittedBy;

    @Column(nullable = false, updatable = false)
    public String source;

    @Column(name = "idempotency_key", updatable = false)
    public String idempotencyKey;

    @Column(nullable = false, updatable = false)
    public int parallelism;

    @Column(name = "host_count", nullable = false, updatable = false)
    public int hostCount;

    /** Runs per rolling batch; null runs all hosts as one batch. */
    @Column(name = "batch_size", updatable = false)
    public Integer batchSize;

    /** Failed runs after which the remaining queued runs are skipped; null means no limit. */
    @Column(name = "max_failures", updatable = false)
    public Integer maxFailures;

    /** Extra attempts for runs that end UNREACHABLE or LOST. */
    @Column(nullable = false, updatable = false)
    public int retries;

    @Column(name = "cancel_requested", nullable = false)
    public boolean cancelRequested;

    /** The job this one retries, if any. */
    @Column(name = "retry_of", updatable = false)
    public UUID retryOf;

    /** When a worker last claimed runs of this job; the least recently served job is claimed from first. */
    @Column(name = "last_claim_at")
    public Instant lastClaimAt;

    @Column(name = "timeout_ms", updatable = false)
    public long timeoutMillis;

    @Column(name = "created_at", nullable = false, updatable = false)
    public Instant createdAt;

    @Column(name = "started_at")
    public Instant startedAt;

    @Column(name = "finished_at")
    public Instant finishedAt;

    @Version
    public long version;

    /** Moves the job to {@code next}, stamping start and finish times. */
    public void moveTo(JobState next, Instant now) {
        if (!state.canMoveTo(next)) {
            throw new IllegalStateTransitionException(state, next);
        }
        if (next == JobState.RUNNING) {
            startedAt = now;
        }
        if (next.isTerminal()) {
            finishedAt = now;
        }
        state = next;
    }

    /** The per-run command timeout, fixed at submission (the request's, else the configured default). */
    public Duration timeout() {
        return Duration.ofMillis(timeoutMillis);
    }
}
