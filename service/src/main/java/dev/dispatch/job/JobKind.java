package dev.dispatch.job;

import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/** What a job does on each host; the wire form is lower case. */
public enum JobKind {
    EXEC,
    PING,
    COPY,
    UPDATE,
    FETCH,
    DELETE;

    /** The name used in requests and responses, e.g. {@code exec}. */
    @JsonValue
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** True for the kinds that transfer or remove a file over SFTP ({@code copy}, {@code update}, {@code fetch}, {@code delete}). */
    public boolean isFile() {
        return this == COPY || this == UPDATE || this == FETCH || this == DELETE;
    }

    /** Parses a wire name; returns null when unknown. */
    public static JobKind fromWire(String value) {
        for (JobKind kind : values()) {
            if (kind.wireName().equals(value)) {
                return kind;
            }
        }
        return null;
    }
}
