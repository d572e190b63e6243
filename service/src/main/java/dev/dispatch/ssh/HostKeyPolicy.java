package dev.dispatch.ssh;

import java.util.Locale;

/**
 * How a connection treats the host key the server presents: {@link #STRICT} accepts only stored keys,
 * {@link #ACCEPT_NEW} also accepts (and has stored) the first key of a host that has none, {@link #OFF} accepts any
 * key. {@link #OFF_FORBIDDEN} is a host or tenant set to {@code off} without the tenant admin's permission: such
 * connections are refused before they are made.
 */
public enum HostKeyPolicy {
    STRICT,
    ACCEPT_NEW,
    OFF,
    OFF_FORBIDDEN;

    /** The policy named as in the API ({@code strict}, {@code accept-new}, {@code off}); null for null. */
    public static HostKeyPolicy fromWire(String name) {
        if (name == null) {
            return null;
        }
        return switch (name) {
            case "strict" -> STRICT;
            case "accept-new" -> ACCEPT_NEW;
            case "off" -> OFF;
            default -> throw new IllegalArgumentException("unknown host key policy: " + name);
        };
    }

    /** The API name; {@code off} for {@link #OFF_FORBIDDEN}. */
    public String wire() {
        return this == OFF_FORBIDDEN ? "off" : name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
}
