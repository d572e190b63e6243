package dev.dispatch.client;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/** One job's run on one host, as {@code GET /jobs/{id}/runs} and the {@code run-finished} event carry it. {@code changed} is set for file
 * jobs, {@code artifact} (SHA-256 of the fetched file) for {@code fetch}.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record HostRun(
        String host,
        String state,
        Integer exitCode,
        String exitSignal,
        String error,
        String startedAt,
        String finishedAt,
        int attempt,
        long stdoutBytes,
        long stderrBytes,
        Boolean changed,
        String artifact) {}
