package dev.dispatch.api;

/** The job already reached a final state, so it cannot be cancelled. */
public class JobAlreadyEndedException extends RuntimeException {
    public JobAlreadyEndedException(String id) {
        super("job " + id + " has already ended");
    }
}
