package dev.dispatch.events;

/**
 * One event of a job's live stream: its name ({@code run-started}, {@code output}, {@code run-finished},
 * {@code job-finished}, {@code overflow}), an id unique within the job, and its data as a JSON text.
 */
public record StreamEvent(String name, String id, String data) {
    /** Marks the end of a live stream; never sent to clients. */
    static final StreamEvent END = new StreamEvent("", "", "");
    /** Sent as an SSE comment to keep an idle stream open; carries no event. */
    public static final StreamEvent KEEP_ALIVE = new StreamEvent("keep-alive", "", "");

    /** True for {@link #KEEP_ALIVE}, which is written as a comment, not as an event. */
    public boolean isComment() {
        return this == KEEP_ALIVE;
    }

    int weight() {
        return data.length() + 64;
    }
}
