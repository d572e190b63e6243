package dev.dispatch.events;

import dev.dispatch.job.JobProgress;
import dev.dispatch.job.JobState;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;

/** The data of a {@code job-finished} event: the job's final state and run summary. */
record JobFinishedData(UUID jobId, JobState state, Instant finishedAt, Map<String, Long> summary) {
    static JobFinishedData from(JobProgress p) {
        return new JobFinishedData(p.jobId(), p.job().state, p.job().finishedAt, p.summary());
    }
}
