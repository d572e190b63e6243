package dev.dispatch.api;

/** A request body over {@code dispatch.intake.max-request-bytes}; answered {@code 413 request-too-large}. */
public class RequestTooLargeException extends RuntimeException {
    private final long limit;

    public RequestTooLargeException(String detail, long limit) {
        super(detail);
        this.limit = limit;
    }

    /** The limit that was exceeded, in bytes. */
    public long limit() {
        return limit;
    }
}
