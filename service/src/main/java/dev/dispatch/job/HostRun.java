package dev.dispatch.job;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import jakarta.persistence.Version;
import java.time.Instant;
import java.util.UUID;

/** One job on one host: its lease, outcome and output counters. */
@Entity
@Table(name = "host_run")
public class HostRun extends PanacheEntityBase {
    @Id
    public UUID id;

    @Column(name = "job_id", nullable = false, updatable = false)
    public UUID jobId;

    @Column(name = "tenant_id", nullable = false, updatable = false)
    public String tenantId;

    @Column(name = "host_name", nullable = false, updatable = false)
    public String hostName;

    @Column(nullable = false, updatable = false)
    public int ordinal;

    /** Rolling batch number (ordinal / batchSize); a batch starts when the previous one has finished. */
    @Column(nullable = false, updatable = false)
    public int batch;

    @Enumerated(EnumType.STRING)
    @Column(nullable = false)
    public RunState state;

    public int attempt;
    public String address;
    public Integer port;
    public String username;

    @Column(name = "exit_code")
    public Integer exitCode;

    @Column(name = "exit_signal")
    public String exitSignal;

    public String error;

    @Column(name = "claimed_by")
    public String claimedBy;

    @Column(name = "heartbeat_at")
    public Instant heartbeatAt;

    @Column(name = "started_at")
    public Instant startedAt;

    @Column(name = "finished_at")
    public Instant finishedAt;

    @Column(name = "stdout_bytes")
    public long stdoutBytes;

    @Column(name = "stderr_bytes")
    public long stderrBytes;

    @Column(name = "stdout_chunks")
    public int stdoutChunks;

    @Column(name = "stderr_chunks")
    public int stderrChunks;

    public Boolean changed;

    /** For fetch runs: SHA-256 of the fetched file (an artifact of the run's tenant). */
    @Column(name = "artifact_sha256")
    public String artifactSha256;

    /** A requeued attempt is not claimed before this (after LOST: until the old worker has fenced itself). */
    @Column(name = "not_before")
    public Instant notBefore;

    @Version
    public long version;

    /**
     * Puts a run that ended UNREACHABLE or LOST back in the queue for another attempt, claimable from
     * {@code notBefore} on (null: at once).
     */
    public void requeueForRetry(Instant notBefore) {
        if (!state.isRetryable()) {
            throw new IllegalStateTransitionException(state, RunState.QUEUED);
        }
        this.notBefore = notBefore;
        state = RunState.QUEUED;
        claimedBy = null;
        heartbeatAt = null;
        finishedAt = null;
        exitCode = null;
        exitSignal = null;
        artifactSha256 = null;
    }

    /** Moves the run to {@code next}; illegal moves throw {@link IllegalStateTransitionException}. */
    public void moveTo(RunState next, Instant now) {
        if (!state.canMoveTo(next)) {
            throw new IllegalStateTransitionException(state, next);
        }
        if (next.isTerminal()) {
            finishedAt = now;
        }
        state = next;
    }
}
