package dev.dispatch.intake;

/** Checks and cleans user-supplied strings before they reach PostgreSQL, Kafka headers or a log line. */
final class Text {
    private Text() {}

    /**
     * Why {@code value} cannot be stored, or null if it can: PostgreSQL text and jsonb refuse NUL (U+0000), and an
     * unpaired UTF-16 surrogate is not Unicode at all. A {@code name} (key, label, path, identifier) must also be
     * free of control characters.
     */
    static String unstorable(String value, boolean name) {
        if (value == null) {
            return null;
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == 0) {
                return "contains a NUL character (U+0000), which cannot be stored";
            }
            if (Character.isHighSurrogate(c)
                    && i + 1 < value.length()
                    && Character.isLowSurrogate(value.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                return "contains an unpaired UTF-16 surrogate (not valid Unicode)";
            } else if (name && (c < 0x20 || c == 0x7f)) {
                return "contains a control character (U+" + String.format("%04X", (int) c) + ")";
            }
        }
        return null;
    }

    /**
     * {@code value} made safe for a log line, a Kafka header or a jsonb column: line breaks and tabs become spaces,
     * other control characters and unpaired surrogates U+FFFD, and it is cut to {@code max} characters (marked with
     * an ellipsis).
     */
    static String printable(String value, int max) {
        if (value == null) {
            return null;
        }
        StringBuilder out = new StringBuilder(Math.min(value.length(), max + 1));
        int i = 0;
        for (; i < value.length() && out.length() < max; i++) {
            char c = value.charAt(i);
            if (Character.isHighSurrogate(c)
                    && i + 1 < value.length()
                    && Character.isLowSurrogate(value.charAt(i + 1))) {
                if (out.length() + 2 > max) {
                    break;
                }
                out.append(c).append(value.charAt(++i));
            } else if (c == '\n' || c == '\r' || c == '\t') {
                out.append(' ');
            } else if (Character.isSurrogate(c) || Character.isISOControl(c)) {
                out.append('\uFFFD');
            } else {
                out.append(c);
            }
        }
        return i < value.length() ? out.append('\u2026').toString() : out.toString();
    }
}
