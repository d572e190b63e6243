package dev.dispatch.events;

/** One event stream more than {@code dispatch.events.max-subscribers(-per-job)} allows; answered 429. */
public class TooManySubscribersException extends RuntimeException {
    public TooManySubscribersException(String message) {
        super(message);
    }
}
