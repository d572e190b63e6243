package dev.dispatch.client;

/** Receives the events of {@link DispatchClient#follow}, in stream order, on the calling thread. */
@FunctionalInterface
public interface JobEventListener {
    /** One event; an exception thrown here ends {@code follow} with it. */
    void onEvent(JobEvent event);

    /** The connection dropped and is being reopened ({@code attempt} counts from 1). Default: nothing. */
    default void onReconnect(int attempt, Exception cause) {}
}
