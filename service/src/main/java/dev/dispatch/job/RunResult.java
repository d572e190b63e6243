package dev.dispatch.job;

/**
 * What a worker observed for one host run, to be recorded by {@link HostRunService#finish}.
 *
 * @param changed for file kinds whether the remote file system was changed; null for exec and ping
 * @param stdout stored head/tail of stdout (may be empty), {@code stdoutTotal} counts every byte printed
 * @param artifact for fetch: SHA-256 of the fetched file, stored as an artifact of the run's tenant; else null
 */
public record RunResult(
        RunState state,
        Integer exitCode,
        String exitSignal,
        String error,
        String address,
        Integer port,
        String username,
        Boolean changed,
        StoredStream stdout,
        StoredStream stderr,
        String artifact) {

    /** The capped copy of one output stream kept in PostgreSQL, and how many chunks went to Kafka. */
    public record StoredStream(byte[] data, long totalBytes, boolean truncated, int chunks) {
        /** Nothing printed. */
        public static final StoredStream EMPTY = new StoredStream(new byte[0], 0, false, 0);
    }

    /** A run that never got as far as running a command. */
    public static RunResult failedBeforeStart(
            RunState state, String error, String address, Integer port, String username) {
        return new RunResult(
                state, null, null, error, address, port, username, null, StoredStream.EMPTY, StoredStream.EMPTY, null);
    }

    /** The same result with {@code changed} set. */
    public RunResult withChanged(Boolean value) {
        return new RunResult(
                state, exitCode, exitSignal, error, address, port, username, value, stdout, stderr, artifact);
    }

    /** The same observation recorded as {@code next} with {@code why} as its error (e.g. a run its worker fenced). */
    public RunResult as(RunState next, String why) {
        return new RunResult(
                next, exitCode, exitSignal, why, address, port, username, changed, stdout, stderr, artifact);
    }
}
