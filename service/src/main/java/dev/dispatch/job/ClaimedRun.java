package dev.dispatch.job;

import java.time.Duration;
import java.util.UUID;

/**
 * A host run this worker holds the lease on, with what it needs to execute it.
 *
 * @param request the job's request as stored: without its secrets until {@link #withRequest} puts them back
 * @param submittedBy the job's submitter (token subject), the actor of audit records the run causes
 * @param secrets the job's sealed {@link JobSecrets}, opened only by the worker that runs it; null when none
 */
public record ClaimedRun(
        UUID runId,
        UUID jobId,
        String tenantId,
        String hostName,
        int attempt,
        JobKind kind,
        JobRequest request,
        Duration timeout,
        String submittedBy,
        byte[] secrets) {

    /** The same run with {@code full} as its request (the stored one with its secrets opened). */
    public ClaimedRun withRequest(JobRequest full) {
        return new ClaimedRun(runId, jobId, tenantId, hostName, attempt, kind, full, timeout, submittedBy, secrets);
    }

    /** Without the sealed bytes and the request's secret values (records print every component otherwise). */
    @Override
    public String toString() {
        return "ClaimedRun[runId=" + runId + ", jobId=" + jobId + ", tenantId=" + tenantId + ", hostName=" + hostName
                + ", attempt=" + attempt + ", kind=" + kind + ", request=" + request + "]";
    }
}
