package dev.dispatch.embedded;

/** The launcher's own progress lines on stderr ({@code dispatch-local: ...}), apart from the service's log. */
final class Console {
    private Console() {
    }

    static void info(String message) {
        System.err.println("dispatch-local: " + message);
        System.err.flush();
    }

    static void warn(String message) {
        info("WARNING: " + message);
    }

    /** Seconds since {@code startNanos}, one decimal. */
    static String since(long startNanos) {
        return String.format("%.1f s", (System.nanoTime() - startNanos) / 1e9);
    }
}
