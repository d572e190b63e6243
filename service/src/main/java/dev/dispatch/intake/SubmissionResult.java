package dev.dispatch.intake;

import dev.dispatch.job.Job;

/** The job a submission resolved to; {@code created} is false when an idempotency key matched an earlier job. */
public record SubmissionResult(Job job, boolean created) {}
