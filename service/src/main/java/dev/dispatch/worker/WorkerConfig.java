package dev.dispatch.worker;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import jakarta.validation.constraints.Min;
import java.time.Duration;
import java.util.Optional;

/** How a worker claims, leases and reports host runs. */
@ConfigMapping(prefix = "dispatch.worker")
public interface WorkerConfig {
    /** Stable id of this worker in leases and logs; default the host name plus a random suffix. */
    Optional<String> id();

    /** Host runs this process executes at once (each on a virtual thread). Default 256. */
    @WithDefault("256")
    @Min(1)
    int maxConcurrentRuns();

    /**
     * Datasource connections that host runs' own database work never takes (at most
     * {@code quarkus.datasource.jdbc.max-size} minus this many runs use the database at once; the others wait without
     * a connection), kept for lease renewal, claiming, the cancel poll, the reaper, the outbox and, in the {@code all}
     * role, the API. Must be below the pool size, else startup fails. Default 4.
     */
    @WithDefault("4")
    @Min(1)
    int reservedConnections();

    /**
     * Whether an idle worker is woken through PostgreSQL ({@code LISTEN dispatch_runs_queued}) when any process
     * queues runs, instead of only at its next poll. One extra database connection per worker process, outside the
     * pool. Default true.
     */
    @WithDefault("true")
    boolean listenForQueuedRuns();

    /** How often an idle worker looks for queued runs when nothing woke it. Default 250ms. */
    @WithDefault("250ms")
    Duration pollInterval();

    /** How often a worker renews the leases of its running runs; keep well below the lease timeout. Default 10s. */
    @WithDefault("10s")
    Duration heartbeatInterval();

    /** How often a worker looks for expired leases of any worker. Default 5s. */
    @WithDefault("5s")
    Duration reaperInterval();

    /** How often a worker checks whether runs it holds were cancelled. Default 500ms. */
    @WithDefault("500ms")
    Duration cancelPollInterval();

    /** A run whose worker has not renewed its lease for this long is declared LOST. Default 30s. */
    @WithDefault("30s")
    Duration leaseTimeout();

    /** Output kept in PostgreSQL per run and stream (head and tail halves); Kafka gets all. Default 1 MiB. */
    @WithDefault("1048576")
    @Min(1024)
    int storedOutputLimit();

    /** Output bytes sent to Kafka but not yet acknowledged, across all runs; readers block beyond it. Default 32 MiB. */
    @WithDefault("33554432")
    @Min(65536)
    int maxInFlightOutputBytes();

    /** How long a finished run waits for its output chunks to be acknowledged before its result. Default 30s. */
    @WithDefault("30s")
    Duration publishTimeout();

    /**
     * Connection affinity: for this long after a job is submitted, a worker leaves its runs on hosts another live
     * worker holds an SSH session to (that worker takes them, reusing its session); after it, anyone may. 0 turns
     * affinity off. Default 2s.
     */
    @WithDefault("2s")
    Duration affinityGrace();

    /** How often a worker publishes which hosts it holds sessions to (for affinity). Default 2s. */
    @WithDefault("2s")
    Duration sessionHintInterval();

    /** On shutdown, how long running commands may finish before they are cancelled. Default 30s. */
    @WithDefault("30s")
    Duration drainTimeout();
}
