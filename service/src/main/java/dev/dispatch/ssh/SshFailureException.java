package dev.dispatch.ssh;

/** A connection could not be used; carries how the run should be classified. */
class SshFailureException extends Exception {
    private final SshOutcome outcome;

    SshFailureException(SshOutcome outcome, String message) {
        super(message);
        this.outcome = outcome;
    }

    SshOutcome outcome() {
        return outcome;
    }

    ExecResult toResult() {
        return ExecResult.failure(outcome, getMessage());
    }
}
