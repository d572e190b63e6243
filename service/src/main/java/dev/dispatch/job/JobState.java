package dev.dispatch.job;

/** State of a job as a whole. */
public enum JobState {
    QUEUED,
    RUNNING,
    SUCCEEDED,
    FAILED,
    CANCELLED;

    /** True once the job can change no more. */
    public boolean isTerminal() {
        return this == SUCCEEDED || this == FAILED || this == CANCELLED;
    }

    /** Whether the state machine allows moving from this state to {@code next}. */
    public boolean canMoveTo(JobState next) {
        return switch (this) {
            case QUEUED -> next != QUEUED;
            case RUNNING -> next.isTerminal();
            default -> false;
        };
    }
}
