package dev.dispatch.messaging;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.dispatch.job.HostRun;
import dev.dispatch.job.RunState;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;

/** The end of one host run, fired after its transaction commits and published on {@code dispatch.host-results.v1}. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record HostResultEvent(
        UUID jobId,
        String tenant,
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
        Map<String, Integer> outputChunks) {

    /** Snapshot of a finished run. */
    public static HostResultEvent from(HostRun run) {
        return new HostResultEvent(
                run.jobId,
                run.tenantId,
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
                Map.of("stdout", run.stdoutChunks, "stderr", run.stderrChunks));
    }
}
