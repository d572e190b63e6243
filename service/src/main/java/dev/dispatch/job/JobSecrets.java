package dev.dispatch.job;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

/**
 * The parts of a job request that are secret: stdin ({@code input}), the {@code env} values and inline file
 * {@code content} (base64). They are stored sealed beside the request (never inside it) and shown only as
 * {@link Digests}; the intake seals them, the worker that runs the job and a retry open them. Immutable.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record JobSecrets(String input, Map<String, String> env, String content) {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Size in bytes and lowercase hex SHA-256 of one secret value, what the API shows in its place. */
    public record Digest(long bytes, String sha256) {
        /** The digest of {@code value}. */
        public static Digest of(byte[] value) {
            try {
                return new Digest(
                        value.length,
                        HexFormat.of()
                                .formatHex(MessageDigest.getInstance("SHA-256").digest(value)));
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    /**
     * The digests of a job's secrets, kept in clear: {@code input} and each {@code env} value over their UTF-8 bytes,
     * {@code content} over the decoded file bytes (so it equals the file's SHA-256 on the host).
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Digests(Digest input, Map<String, Digest> env, Digest content) {}

    /** The secrets of {@code request}; {@link #isEmpty()} when it has none. */
    public static JobSecrets of(JobRequest request) {
        return new JobSecrets(
                request.input(),
                request.env() == null || request.env().isEmpty() ? null : request.env(),
                request.file() == null ? null : request.file().content());
    }

    /** True when the request had no secret at all. */
    @JsonIgnore
    public boolean isEmpty() {
        return input == null && env == null && content == null;
    }

    /** {@code request} without its secrets (the part that is stored in clear and shown). */
    public static JobRequest strip(JobRequest r) {
        JobRequest.FileSpec f = r.file();
        return new JobRequest(
                r.kind(),
                r.targets(),
                r.command(),
                null,
                null,
                r.timeout(),
                r.parallelism(),
                r.batchSize(),
                r.maxFailures(),
                r.retries(),
                f == null ? null : new JobRequest.FileSpec(f.path(), null, f.artifact(), f.mode(), f.backup()),
                r.idempotencyKey(),
                r.labels());
    }

    /** {@code stripped} with these secrets put back; values already in {@code stripped} (rows older than V12) win. */
    public JobRequest applyTo(JobRequest stripped) {
        JobRequest.FileSpec f = stripped.file();
        return new JobRequest(
                stripped.kind(),
                stripped.targets(),
                stripped.command(),
                stripped.input() != null ? stripped.input() : input,
                stripped.env() != null ? stripped.env() : env,
                stripped.timeout(),
                stripped.parallelism(),
                stripped.batchSize(),
                stripped.maxFailures(),
                stripped.retries(),
                f == null
                        ? null
                        : new JobRequest.FileSpec(
                                f.path(),
                                f.content() != null ? f.content() : content,
                                f.artifact(),
                                f.mode(),
                                f.backup()),
                stripped.idempotencyKey(),
                stripped.labels());
    }

    /** The sizes and SHA-256 of these secrets; null when there are none. */
    public Digests digests() {
        if (isEmpty()) {
            return null;
        }
        Map<String, Digest> envDigests = null;
        if (env != null) {
            envDigests = new LinkedHashMap<>();
            for (Map.Entry<String, String> e : env.entrySet()) {
                envDigests.put(e.getKey(), e.getValue() == null ? null : utf8(e.getValue()));
            }
        }
        return new Digests(input == null ? null : utf8(input), envDigests, content == null ? null : decoded(content));
    }

    /** What a job shows in place of its secrets: the stored digests, else (a row older than V12) computed now. */
    public static Digests digestsOf(Job job) {
        if (job.secretDigests != null) {
            return job.secretDigests;
        }
        return job.request == null ? null : of(job.request).digests();
    }

    /** These secrets as the JSON text that is sealed. */
    public String toJson() {
        try {
            return JSON.writeValueAsString(this);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("job secrets cannot be serialised", e);
        }
    }

    /** Reads what {@link #toJson()} wrote. */
    public static JobSecrets fromJson(String json) {
        try {
            return JSON.readValue(json, JobSecrets.class);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("stored job secrets are not readable");
        }
    }

    /** The associated data a job's sealed secrets are bound to, so they cannot be moved to another job or tenant. */
    public static String context(String tenantId, UUID jobId) {
        return "dispatch-job-secrets:" + tenantId + "/" + jobId;
    }

    /** Never the values: records print their components, and a request or run may end up in a log line. */
    @Override
    public String toString() {
        return "JobSecrets[" + digests() + "]";
    }

    private static Digest utf8(String value) {
        return Digest.of(value.getBytes(StandardCharsets.UTF_8));
    }

    private static Digest decoded(String base64) {
        try {
            return Digest.of(Base64.getDecoder().decode(base64));
        } catch (IllegalArgumentException e) {
            return utf8(base64);
        }
    }
}
