package dev.dispatch.client;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.util.List;

/**
 * Hosts whose runs ended alike (same state, exit code, signal and stored stdout), as {@code GET /jobs/{id}/runs
 * ?groupBy=output} answers them. {@code stdout} is the group's stored stdout, or its head when {@code stdoutPartial}.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record OutputGroup(
        List<String> hosts,
        int count,
        String state,
        Integer exitCode,
        String exitSignal,
        String stdout,
        long stdoutBytes,
        boolean truncated,
        boolean stdoutPartial) {}
