package dev.dispatch.events;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.dispatch.job.HostRun;
import dev.dispatch.job.RunState;
import java.time.Instant;

/** The data of a {@code run-finished} event: the same fields as a run of {@code GET /jobs/{id}/runs}. */
@JsonInclude(JsonInclude.Include.NON_NULL)
record RunView(
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
        String address,
        Integer port) {

    static RunView from(HostRun run) {
        return new RunView(
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
                run.address,
                run.port);
    }
}
