package dev.dispatch.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.dispatch.job.HostRun;
import dev.dispatch.job.RunState;
import java.time.Instant;

/**
 * One host run of a job. {@code changed} is set for the file kinds (whether the remote file was written, renamed or
 * removed); {@code artifact} is the SHA-256 of the file a fetch run downloaded.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record HostRunResponse(
        String host,
        RunState state,
        Integer exitCode,
        String exitSignal,
        String error,
        Instant startedAt,
        Instant finishedAt,
        int attempt,
        long stdoutBytes,
        long stderrBytes,
        Boolean changed,
        String artifact,
        String address,
        Integer port) {

    /** Maps a run. */
    public static HostRunResponse from(HostRun run) {
        return new HostRunResponse(
                run.hostName,
                run.state,
                run.exitCode,
                run.exitSignal,
                run.error,
                run.startedAt,
                run.finishedAt,
                run.attempt,
                run.stdoutBytes,
                run.stderrBytes,
                run.changed,
                run.artifactSha256,
                run.address,
                run.port);
    }
}
