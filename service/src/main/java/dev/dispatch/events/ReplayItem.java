package dev.dispatch.events;

import java.util.UUID;

/** One step of what a new subscriber is first told: an event, or a run's stored output read only when due. */
sealed interface ReplayItem {
    /** An event ready to send. */
    record Ready(StreamEvent event) implements ReplayItem {}

    /** The stored (capped) output of one stream of an ended run, read when the client is ready for it. */
    record Stored(UUID runId, String host, int attempt, String stream) implements ReplayItem {}
}
