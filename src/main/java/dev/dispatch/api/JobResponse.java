package dev.dispatch.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.dispatch.job.Job;
import dev.dispatch.job.JobRequest;
import dev.dispatch.job.JobState;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;

/** A job as the API shows it, with its run counts per state. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record JobResponse(UUID id, String kind, JobState state, JobRequest request, String submittedBy,
        String source, String idempotencyKey, int hostCount, UUID retryOf, boolean cancelRequested,
        Instant createdAt, Instant startedAt, Instant finishedAt, Map<String, Long> summary) {

    /** Maps a job and its summary. */
    public static JobResponse from(Job job, Map<String, Long> summary) {
        return new JobResponse(job.id, job.kind, job.state, job.request, job.submittedBy, job.source,
                job.idempotencyKey, job.hostCount, job.retryOf, job.cancelRequested, job.createdAt, job.startedAt, job.finishedAt, summary);
    }
}
