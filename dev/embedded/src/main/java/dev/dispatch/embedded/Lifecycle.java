package dev.dispatch.embedded;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * What the launcher started, stopped in reverse order exactly once: on Ctrl-C/SIGTERM (JVM shutdown hook), when the
 * service exits, or when starting fails. A stopper registered after stopping began runs at once, so a dependency
 * that finishes starting during shutdown is stopped too. Thread-safe.
 */
final class Lifecycle {
    /** Stops one thing; failures are reported, never rethrown. */
    interface Stopper {
        void stop() throws Exception;
    }

    private record Entry(String name, Stopper stopper) {
    }

    private final Deque<Entry> started = new ArrayDeque<>();
    private final List<Future<?>> inFlight = new CopyOnWriteArrayList<>();
    private boolean stopping; // guarded by this

    /** Registers a stopper; if stopping already began, runs it now. */
    void onStop(String name, Stopper stopper) {
        synchronized (this) {
            if (!stopping) {
                started.push(new Entry(name, stopper));
                return;
            }
        }
        run(new Entry(name, stopper));
    }

    /** A start task whose resources {@link #stopAll()} waits for before it returns. */
    void track(Future<?> task) {
        inFlight.add(task);
    }

    /** Stops everything registered, newest first, then waits (bounded) for start tasks still running. */
    void stopAll() {
        while (true) {
            Entry next;
            synchronized (this) {
                stopping = true;
                next = started.poll();
            }
            if (next == null) {
                break;
            }
            run(next);
        }
        for (Future<?> task : inFlight) {
            try {
                task.get(120, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (ExecutionException | TimeoutException | RuntimeException e) {
                // its failure was reported by the starter; whatever it started registered itself and was stopped
            }
        }
    }

    /** True once stopping began. */
    synchronized boolean stopping() {
        return stopping;
    }

    private static void run(Entry entry) {
        try {
            entry.stopper().stop();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            Console.warn("stopping " + entry.name() + " was interrupted");
        } catch (Exception e) {
            Console.warn("could not stop " + entry.name() + ": " + e.getMessage());
        }
    }
}
