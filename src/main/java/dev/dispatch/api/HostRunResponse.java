package dev.dispatch.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.dispatch.job.HostRun;
import dev.dispatch.job.RunState;
import java.time.Instant;

/** One host run of a job. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record HostRunResponse(String host, RunState state, Integer exitCode, String exitSignal, String error,
        Instant startedAt, Instant finishedAt, int attempt, long stdoutBytes, long stderrBytes, Boolean changed,
        String address, Integer port) {

    /** Maps a run. */
    public static HostRunResponse from(HostRun run) {
        return new HostRunResponse(run.hostName, run.state, run.exitCode, run.exitSignal, run.error, run.startedAt,
                run.finishedAt, run.attempt, run.stdoutBytes, run.stderrBytes, run.changed, run.address, run.port);
    }
}
