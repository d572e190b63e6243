package dev.dispatch.job;

import java.time.Duration;
import java.util.UUID;

/** A host run this worker holds the lease on, with what it needs to execute it. */
public record ClaimedRun(UUID runId, UUID jobId, String tenantId, String hostName, int attempt, JobKind kind,
        JobRequest request, Duration timeout) {
}
