package dev.dispatch.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.dispatch.job.Job;
import dev.dispatch.job.JobRequest;
import dev.dispatch.job.JobSecrets;
import dev.dispatch.job.JobSecrets.Digest;
import dev.dispatch.job.JobState;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;

/** A job as the API shows it, with its run counts per state. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record JobResponse(
        UUID id,
        String kind,
        JobState state,
        Request request,
        String submittedBy,
        String source,
        String idempotencyKey,
        int hostCount,
        UUID retryOf,
        boolean cancelRequested,
        Instant createdAt,
        Instant startedAt,
        Instant finishedAt,
        Map<String, Long> summary) {

    /**
     * The job's request as submitted, except its secrets: {@code input}, each {@code env} value and inline
     * {@code file.content} appear as their size in bytes and SHA-256 ({@link Digest}), never as the value.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Request(
            String kind,
            JobRequest.Targets targets,
            String command,
            Digest input,
            Map<String, Digest> env,
            String timeout,
            Integer parallelism,
            Integer batchSize,
            Integer maxFailures,
            Integer retries,
            File file,
            String idempotencyKey,
            Map<String, String> labels) {

        static Request of(Job job) {
            JobRequest r = job.request;
            JobSecrets.Digests d = JobSecrets.digestsOf(job);
            JobRequest.FileSpec f = r.file();
            return new Request(
                    r.kind(),
                    r.targets(),
                    r.command(),
                    d == null ? null : d.input(),
                    d == null ? null : d.env(),
                    r.timeout(),
                    r.parallelism(),
                    r.batchSize(),
                    r.maxFailures(),
                    r.retries(),
                    f == null
                            ? null
                            : new File(f.path(), d == null ? null : d.content(), f.artifact(), f.mode(), f.backup()),
                    r.idempotencyKey(),
                    r.labels());
        }
    }

    /** The file of a file job; {@code content} is the inline content's size and SHA-256 (of the decoded bytes). */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record File(String path, Digest content, String artifact, String mode, Boolean backup) {}

    /** Maps a job and its summary. */
    public static JobResponse from(Job job, Map<String, Long> summary) {
        return new JobResponse(
                job.id,
                job.kind,
                job.state,
                job.request == null ? null : Request.of(job),
                job.submittedBy,
                job.source,
                job.idempotencyKey,
                job.hostCount,
                job.retryOf,
                job.cancelRequested,
                job.createdAt,
                job.startedAt,
                job.finishedAt,
                summary);
    }
}
