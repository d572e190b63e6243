package dev.dispatch.job;

import java.time.Duration;
import java.util.UUID;

/**
 * A host run this worker holds the lease on, with what it needs to execute it.
 *
 * @param submittedBy the job's submitter (token subject), the actor of audit records the run causes
 */
public record ClaimedRun(UUID runId, UUID jobId, String tenantId, String hostName, int attempt, JobKind kind,
        JobRequest request, Duration timeout, String submittedBy) {
}
