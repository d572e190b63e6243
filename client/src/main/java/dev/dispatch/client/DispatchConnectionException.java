package dev.dispatch.client;

import java.io.IOException;

/** The server could not be reached (refused, timed out, connection dropped). */
public class DispatchConnectionException extends RuntimeException {
    /** Wraps the I/O failure talking to {@code url}. */
    public DispatchConnectionException(String url, IOException cause) {
        super("cannot reach " + url + ": " + (cause.getMessage() == null ? cause : cause.getMessage()), cause);
    }
}
