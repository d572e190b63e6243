package dev.dispatch.job;

import java.util.UUID;

/**
 * The fencing token of one host run attempt: a worker's writes about a run (heartbeat, finish, cancel) apply only
 * while the run is still {@code RUNNING} at this attempt under that worker. A run declared LOST and retried gets a
 * new attempt, so a late write of the old attempt matches nothing.
 */
public record RunLease(UUID runId, int attempt) {}
