package dev.dispatch.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.dispatch.job.JobQueryService;
import dev.dispatch.job.RunState;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Hosts whose runs ended alike (same state, exit code, signal and stored stdout), like {@code dshbak -c}. Unfinished
 * runs group by state alone and carry no output fields. {@code stdout} is the head of the group's stored stdout, at
 * most {@code dispatch.api.grouped-output-bytes} per group and {@code dispatch.api.grouped-output-total-bytes} per
 * answer; {@code stdoutPartial} says it is not all of it ({@code GET /jobs/{id}/runs/{host}/output} has the rest).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record RunGroupResponse(
        List<String> hosts,
        int count,
        RunState state,
        Integer exitCode,
        String exitSignal,
        String stdout,
        Long stdoutBytes,
        Boolean truncated,
        Boolean stdoutPartial) {

    /** Maps a group; stdout is decoded as UTF-8 (invalid bytes become U+FFFD). */
    public static RunGroupResponse from(JobQueryService.OutputGroupView view) {
        var g = view.group();
        if (!g.state().isTerminal()) {
            return new RunGroupResponse(g.hosts(), g.count(), g.state(), null, null, null, null, null, null);
        }
        return new RunGroupResponse(
                g.hosts(),
                g.count(),
                g.state(),
                g.exitCode(),
                g.exitSignal(),
                new String(view.stdout(), StandardCharsets.UTF_8),
                g.stdoutBytes(),
                g.truncated(),
                view.partial());
    }
}
