package dev.dispatch.job;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import java.util.Map;

/**
 * A job request as clients send it (REST body and Kafka value) and as it is stored for audit.
 * Validation lives in the intake service so REST and Kafka reject the same things the same way.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record JobRequest(
        String kind,
        Targets targets,
        String command,
        String input,
        Map<String, String> env,
        String timeout,
        Integer parallelism,
        Integer batchSize,
        Integer maxFailures,
        Integer retries,
        FileSpec file,
        String idempotencyKey,
        Map<String, String> labels) {

    /** Which inventory hosts a job runs on: the union of named hosts, group members and label matches. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Targets(List<String> hosts, List<String> groups, Map<String, String> labels) {}

    /** The file of a copy, update, fetch or delete job. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record FileSpec(String path, String content, String artifact, String mode, Boolean backup) {
        /** Without the inline content, which is secret (see {@link JobSecrets}). */
        @Override
        public String toString() {
            return "FileSpec[path=" + path + ", artifact=" + artifact + ", mode=" + mode + ", backup=" + backup + "]";
        }
    }

    /** Without input, env values and file content, which are secret (see {@link JobSecrets}). */
    @Override
    public String toString() {
        return "JobRequest[kind=" + kind + ", targets=" + targets + ", command=" + command + ", env="
                + (env == null ? null : env.keySet()) + ", file=" + file + ", idempotencyKey=" + idempotencyKey
                + "]";
    }

    /** The same request with the given idempotency key (a header may supply it instead of the body). */
    public JobRequest withIdempotencyKey(String key) {
        return new JobRequest(
                kind,
                targets,
                command,
                input,
                env,
                timeout,
                parallelism,
                batchSize,
                maxFailures,
                retries,
                file,
                key,
                labels);
    }
}
