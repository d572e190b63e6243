package dev.dispatch.messaging;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.dispatch.job.Job;
import dev.dispatch.job.JobState;
import java.util.Map;
import java.util.UUID;

/**
 * A job lifecycle fact ({@code accepted}, {@code rejected}, {@code started}, {@code finished}), fired as a CDI event
 * after the transaction that caused it commits, and published on {@code dispatch.job-events.v1}.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record JobEvent(
        String type,
        UUID jobId,
        String tenant,
        String idempotencyKey,
        JobState state,
        Map<String, Long> summary,
        String reason) {

    /** Builds an event of {@code type} describing the job as it is now. */
    public static JobEvent of(String type, Job job, Map<String, Long> summary) {
        return new JobEvent(type, job.id, job.tenantId, job.idempotencyKey, job.state, summary, null);
    }
}
