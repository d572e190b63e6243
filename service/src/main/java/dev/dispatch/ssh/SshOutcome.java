package dev.dispatch.ssh;

/** How an SSH operation on one host ended, as the executor classifies it. */
public enum SshOutcome {
    SUCCEEDED,
    FAILED,
    TIMED_OUT,
    UNREACHABLE,
    AUTH_FAILED,
    HOST_KEY_REJECTED,
    CANCELLED
}
