package dev.dispatch.client;

import java.util.List;

/**
 * The server answered with an error: its {@code application/problem+json} document (RFC 9457), or for a body that is
 * not one, the status with the body as detail.
 */
public class DispatchProblemException extends RuntimeException {
    private final int status;
    private final String type;
    private final String title;
    private final String detail;
    private final List<FieldViolation> errors;

    /** One invalid field a {@code validation} problem names. */
    public record FieldViolation(String field, String message) {}

    /** A problem; {@code errors} may be empty, never null. */
    public DispatchProblemException(int status, String type, String title, String detail, List<FieldViolation> errors) {
        super(status + " " + (title == null ? "" : title) + (detail == null ? "" : ": " + detail));
        this.status = status;
        this.type = type;
        this.title = title;
        this.detail = detail;
        this.errors = errors == null ? List.of() : List.copyOf(errors);
    }

    /** The HTTP status. */
    public int status() {
        return status;
    }

    /** The problem type URI, e.g. {@code https://dispatch.dev/problems/validation}; null if the body had none. */
    public String type() {
        return type;
    }

    /** The last path segment of {@link #type()} ({@code validation}, {@code not-found}, ...), or null. */
    public String slug() {
        return type == null ? null : type.substring(type.lastIndexOf('/') + 1);
    }

    /** The fixed title of the problem type. */
    public String title() {
        return title;
    }

    /** What went wrong this time. */
    public String detail() {
        return detail;
    }

    /** The invalid fields, in the server's order. */
    public List<FieldViolation> errors() {
        return errors;
    }
}
