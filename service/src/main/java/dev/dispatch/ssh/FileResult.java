package dev.dispatch.ssh;

/**
 * Outcome of one file operation on one host: the classification shared with commands ({@link ExecResult}, without
 * exit code), whether the remote file system was changed, and how many content bytes were transferred.
 *
 * @param changed true when the file was written, renamed or removed; false when it was left as it was; null when
 *     the operation ended before that could be known (connection, authentication or host key failures)
 * @param bytes content bytes uploaded or fetched
 */
public record FileResult(ExecResult result, Boolean changed, long bytes) {

    /** Shorthand for {@code result().outcome()}. */
    public SshOutcome outcome() {
        return result.outcome();
    }

    static FileResult succeeded(boolean changed, long bytes) {
        return new FileResult(new ExecResult(SshOutcome.SUCCEEDED, null, null, null), changed, bytes);
    }

    static FileResult failure(SshOutcome outcome, String error, Boolean changed, long bytes) {
        return new FileResult(ExecResult.failure(outcome, error), changed, bytes);
    }
}
