package dev.dispatch.client;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import java.util.Map;

/**
 * A job request as {@code POST /api/v1/jobs} takes it; null fields are left out so the server's defaults apply.
 * {@code timeout} is an ISO-8601 duration ({@code PT5M}).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record JobSpec(
        String kind,
        Targets targets,
        String credential,
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

    /**
     * The {@code file} of a {@code copy}, {@code update}, {@code fetch} or {@code delete} job: an absolute remote
     * {@code path}, and for copy/update exactly one of {@code content} (base64, at most 1 MiB decoded) or
     * {@code artifact} (SHA-256 of an uploaded artifact); {@code mode} octal ({@code 0644}); {@code backup} keeps the
     * old file as {@code <path>.<UTC timestamp>.bak}.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record FileSpec(String path, String content, String artifact, String mode, Boolean backup) {}

    /** The hosts a job runs on: inventory names, groups, a label selector and ad-hoc addresses, all optional. */
    @JsonInclude(JsonInclude.Include.NON_EMPTY)
    public record Targets(
            List<String> hosts, List<String> groups, Map<String, String> labels, List<String> addresses) {}

    /** An {@code exec} job running {@code command} on {@code targets}, everything else at the server's defaults. */
    public static JobSpec exec(Targets targets, String command) {
        return new JobSpec("exec", targets, null, command, null, null, null, null, null, null, null, null, null, null);
    }

    /** A file job ({@code copy}, {@code update}, {@code fetch}, {@code delete}) of {@code file} on {@code targets}. */
    public static JobSpec file(String kind, Targets targets, FileSpec file) {
        return new JobSpec(kind, targets, null, null, null, null, null, null, null, null, null, file, null, null);
    }

    /** A {@code ping} job: connect and authenticate to every target, run nothing. */
    public static JobSpec ping(Targets targets) {
        return new JobSpec("ping", targets, null, null, null, null, null, null, null, null, null, null, null, null);
    }
}
