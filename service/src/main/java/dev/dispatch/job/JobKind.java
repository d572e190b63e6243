package dev.dispatch.job;

import com.fasterxml.jackson.annotation.JsonValue;

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
        return name().toLowerCase(java.util.Locale.ROOT);
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
