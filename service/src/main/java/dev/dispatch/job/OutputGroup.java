package dev.dispatch.job;

import java.util.List;
import java.util.UUID;

/**
 * Runs of one job that ended alike: same state, exit code, exit signal and stored stdout (same SHA-256 of the stored
 * bytes, same total size, same cut flag). {@code hosts} are in submission order; {@code representative} is the first
 * run, whose stored stdout stands for the group.
 */
public record OutputGroup(
        RunState state,
        Integer exitCode,
        String exitSignal,
        long stdoutBytes,
        boolean truncated,
        int count,
        List<String> hosts,
        UUID representative) {}
