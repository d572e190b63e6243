package dev.dispatch.events;

import java.util.ArrayDeque;
import java.util.HashSet;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * One client of a job's event stream: a bounded queue of live events between the watcher (producer) and the HTTP
 * response (consumer, one {@link #next()} at a time). When the queued bytes exceed the limit the queue is dropped
 * and the stream ends with an {@code overflow} event. Queue methods are thread-safe; {@link #started} and
 * {@link #finished} belong to the watcher thread.
 */
final class Subscriber {
    final UUID jobId;
    /** Runs ({@code host/attempt}) whose run-started this client has been sent, by replay or live. */
    final Set<String> started = new HashSet<>();
    /** Runs whose run-finished this client has been sent; their later output is not forwarded. */
    final Set<String> finished = new HashSet<>();

    private final int limitBytes;
    private final ArrayDeque<StreamEvent> queue = new ArrayDeque<>();
    private CompletableFuture<StreamEvent> waiting;
    private long queuedBytes;
    private boolean ended;
    private long lastOffer = System.nanoTime();

    Subscriber(UUID jobId, int limitBytes) {
        this.jobId = jobId;
        this.limitBytes = limitBytes;
    }

    /** Queues a live event; false if the stream has ended (now or before) and the caller should forget it. */
    boolean offer(StreamEvent event) {
        return push(event, false);
    }

    /** Queues {@link StreamEvent#KEEP_ALIVE} if nothing was queued for {@code idleNanos}; false once ended. */
    boolean keepAlive(long now, long idleNanos) {
        synchronized (this) {
            if (now - lastOffer < idleNanos) {
                return !ended;
            }
        }
        return push(StreamEvent.KEEP_ALIVE, false);
    }

    /** Queues the last event (or none, for null) and ends the stream. */
    void finish(StreamEvent last) {
        push(last, true);
    }

    /** True once the stream ended: job finished, overflow, or shutdown. */
    synchronized boolean ended() {
        return ended;
    }

    private boolean push(StreamEvent event, boolean last) {
        CompletableFuture<StreamEvent> handOver;
        StreamEvent next;
        synchronized (this) {
            if (ended) {
                return false;
            }
            lastOffer = System.nanoTime();
            if (!last && queuedBytes + event.weight() > limitBytes) {
                queue.clear();
                queuedBytes = 0;
                queue.add(new StreamEvent(
                        "overflow",
                        "overflow",
                        "{\"reason\":\"the client read too slowly; " + limitBytes
                                + " bytes of events were waiting\"}"));
                last = true;
            } else if (event != null) {
                queue.add(event);
                queuedBytes += event.weight();
            }
            if (last) {
                ended = true;
                queue.add(StreamEvent.END);
            }
            handOver = waiting;
            waiting = null;
            next = handOver == null ? null : poll();
        }
        if (handOver != null) {
            handOver.complete(next);
        }
        return !ended();
    }

    /** The next event, when there is one; {@link StreamEvent#END} after the last. One call at a time. */
    synchronized CompletionStage<StreamEvent> next() {
        StreamEvent event = poll();
        if (event != null) {
            return CompletableFuture.completedFuture(event);
        }
        waiting = new CompletableFuture<>();
        return waiting;
    }

    private StreamEvent poll() {
        StreamEvent event = queue.poll();
        if (event != null && event != StreamEvent.END) {
            queuedBytes -= event.weight();
        }
        return event;
    }
}
