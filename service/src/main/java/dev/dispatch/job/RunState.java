package dev.dispatch.job;

import java.util.EnumSet;
import java.util.Set;

/** State of one host run; transitions are checked by {@link #canMoveTo(RunState)}. */
public enum RunState {
    QUEUED,
    RUNNING,
    SUCCEEDED,
    FAILED,
    TIMED_OUT,
    UNREACHABLE,
    AUTH_FAILED,
    HOST_KEY_REJECTED,
    CANCELLED,
    SKIPPED,
    LOST;

    private static final Set<RunState> TERMINAL_FROM_RUNNING =
            EnumSet.of(SUCCEEDED, FAILED, TIMED_OUT, UNREACHABLE, AUTH_FAILED, HOST_KEY_REJECTED, CANCELLED, LOST);

    /** True once the run can change no more. */
    public boolean isTerminal() {
        return this != QUEUED && this != RUNNING;
    }

    /** True for terminal states that count toward a job's {@code maxFailures}. */
    public boolean isFailure() {
        return isTerminal() && this != SUCCEEDED && this != CANCELLED && this != SKIPPED;
    }

    /** True for outcomes after which a job's {@code retries} may queue another attempt. */
    public boolean isRetryable() {
        return this == UNREACHABLE || this == LOST;
    }

    /** Whether the state machine allows moving from this state to {@code next}. */
    public boolean canMoveTo(RunState next) {
        return switch (this) {
            case QUEUED -> next == RUNNING || next == SKIPPED || next == CANCELLED;
            case RUNNING -> TERMINAL_FROM_RUNNING.contains(next);
            default -> false;
        };
    }
}
