package dev.dispatch.events;

import dev.dispatch.job.HostRun;
import java.time.Instant;

/** The data of a {@code run-started} event (field order and nulls as on the wire). */
record RunStartedData(String host, int attempt, Instant startedAt, String address, Integer port) {
    static RunStartedData from(HostRun run) {
        return new RunStartedData(run.hostName, run.attempt, run.startedAt, run.address, run.port);
    }
}
