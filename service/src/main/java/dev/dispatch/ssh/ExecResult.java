package dev.dispatch.ssh;

/** Outcome of one exec or ping: classification, exit code or signal where the command ran, and an error text. */
public record ExecResult(SshOutcome outcome, Integer exitCode, String exitSignal, String error) {

    /** A failure before or around the command, without exit status. */
    public static ExecResult failure(SshOutcome outcome, String error) {
        return new ExecResult(outcome, null, null, error);
    }
}
