package dev.dispatch.job;

/** Thrown when code tries a state change that the job or run state machine forbids. */
public class IllegalStateTransitionException extends IllegalStateException {
    public IllegalStateTransitionException(Object from, Object to) {
        super("illegal state change " + from + " -> " + to);
    }
}
