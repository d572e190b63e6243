package dev.dispatch.events;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dispatch.job.HostRun;
import dev.dispatch.job.JobProgress;
import dev.dispatch.job.JobQueryService;
import dev.dispatch.messaging.OutputChunkEvent;
import io.quarkus.runtime.ShutdownEvent;
import io.smallrye.common.annotation.Identifier;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.errors.WakeupException;
import org.jboss.logging.Logger;

/**
 * The one watcher of live job events per process, shared by all subscribers: a single thread that reads run and job
 * states of every watched job from PostgreSQL (one query per poll interval) and output chunks from Kafka, and turns
 * them into each subscriber's events. It starts with the first subscriber; its Kafka consumer closes when nothing was
 * watched for {@link EventsConfig#idleTimeout()}. Public methods are thread-safe; all other state belongs to the
 * watcher thread.
 */
@ApplicationScoped
public class JobWatcher {
    private static final Logger LOG = Logger.getLogger(JobWatcher.class);

    private final JobQueryService queries;
    private final EventsConfig config;
    private final Map<String, Object> kafkaConfig;
    private final ObjectMapper json;
    private final LinkedBlockingQueue<Runnable> commands = new LinkedBlockingQueue<>();
    private final Map<UUID, Watched> watched = new HashMap<>();
    private volatile OutputChunkConsumer consumer;
    private volatile boolean stopping;
    private Thread thread;
    private long idleSince = System.nanoTime();

    public JobWatcher(
            JobQueryService queries,
            EventsConfig config,
            @Identifier("default-kafka-broker") Map<String, Object> kafkaConfig,
            ObjectMapper json) {
        this.queries = queries;
        this.config = config;
        this.kafkaConfig = kafkaConfig;
        this.json = json;
    }

    /** A job as watched: its last read progress, what Kafka said about its runs, and who listens. */
    private static final class Watched {
        final UUID jobId;
        final List<Subscriber> subscribers = new ArrayList<>();
        /** {@code host/attempt/stream} of runs whose end-of-stream chunk arrived. */
        final Set<String> eof = new HashSet<>();
        /** When this watcher first saw each run ({@code host/attempt}) ended, in nanoTime. */
        final Map<String, Long> endedAt = new HashMap<>();

        JobProgress progress;

        Watched(UUID jobId) {
            this.jobId = jobId;
        }
    }

    /**
     * Registers a subscriber and answers, once it is registered, what it must be told first: the job's history up
     * to now. From then on every change reaches its queue, and nothing in the history is repeated.
     */
    CompletableFuture<List<ReplayItem>> attach(Subscriber subscriber) {
        CompletableFuture<List<ReplayItem>> replay = new CompletableFuture<>();
        submit(() -> {
            try {
                replay.complete(register(subscriber));
            } catch (RuntimeException e) {
                Watched w = watched.get(subscriber.jobId);
                if (w != null) {
                    w.subscribers.remove(subscriber);
                }
                replay.completeExceptionally(e);
            }
        });
        return replay;
    }

    /** Forgets a subscriber (it disconnected, or its stream ended); a no-op once the watcher stopped. */
    void detach(Subscriber subscriber) {
        if (stopping) {
            return;
        }
        submit(() -> {
            Watched w = watched.get(subscriber.jobId);
            if (w != null) {
                w.subscribers.remove(subscriber);
                if (w.subscribers.isEmpty()) {
                    watched.remove(subscriber.jobId);
                }
            }
        });
    }

    private void submit(Runnable command) {
        synchronized (this) {
            if (stopping) {
                throw new IllegalStateException("shutting down");
            }
            if (thread == null) {
                thread =
                        Thread.ofPlatform().name("dispatch-job-events").daemon().start(this::loop);
            }
        }
        commands.add(command);
        OutputChunkConsumer c = consumer;
        if (c != null) {
            c.wakeup();
        }
    }

    void stop(@Observes ShutdownEvent event) {
        Thread t;
        synchronized (this) {
            stopping = true;
            t = thread;
        }
        if (t == null) {
            return;
        }
        OutputChunkConsumer c = consumer;
        if (c != null) {
            c.wakeup();
        }
        t.interrupt();
        try {
            t.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void loop() {
        long pollNanos = config.pollInterval().toNanos();
        long nextRead = 0;
        while (!stopping) {
            try {
                Runnable command;
                while ((command = commands.poll()) != null) {
                    command.run();
                }
                if (watched.isEmpty()) {
                    closeWhenIdle();
                    command = commands.poll(pollNanos, TimeUnit.NANOSECONDS);
                    if (command != null) {
                        command.run();
                    }
                    continue;
                }
                idleSince = System.nanoTime();
                long wait = Math.max(1, Math.min(pollNanos, nextRead - System.nanoTime()));
                List<OutputChunkEvent> chunks = List.of();
                if (consumer.ready()) {
                    chunks = consumer.poll(Duration.ofNanos(wait), this::isWatchedKey);
                } else {
                    command = commands.poll(wait, TimeUnit.NANOSECONDS);
                    if (command != null) {
                        command.run();
                    }
                }
                if (System.nanoTime() >= nextRead || startsUnseenRun(chunks)) {
                    nextRead = System.nanoTime() + pollNanos;
                    readAll();
                }
                new ArrayList<>(watched.values()).forEach(this::advance);
                forward(chunks);
                new ArrayList<>(watched.values()).forEach(this::advance);
                keepAlive();
            } catch (WakeupException e) {
                // a command arrived; the loop runs it
            } catch (InterruptedException e) {
                if (stopping) {
                    break;
                }
            } catch (RuntimeException e) {
                LOG.warnf(e, "job event watcher failed; retrying in %s", config.pollInterval());
                sleep(config.pollInterval());
            }
        }
        watched.values().forEach(w -> w.subscribers.forEach(s -> s.finish(null)));
        watched.clear();
        closeConsumer();
    }

    private void keepAlive() {
        long now = System.nanoTime();
        long idle = config.keepAlive().toNanos();
        for (Watched w : new ArrayList<>(watched.values())) {
            w.subscribers.removeIf(s -> !s.keepAlive(now, idle));
            if (w.subscribers.isEmpty()) {
                watched.remove(w.jobId);
            }
        }
    }

    private void closeWhenIdle() {
        if (consumer != null
                && System.nanoTime() - idleSince > config.idleTimeout().toNanos()) {
            closeConsumer();
        }
    }

    private void closeConsumer() {
        OutputChunkConsumer c = consumer;
        consumer = null;
        if (c != null) {
            try {
                c.close();
            } catch (RuntimeException e) {
                LOG.debugf("closing the output consumer: %s", e);
            }
        }
    }

    private List<ReplayItem> register(Subscriber subscriber) {
        if (consumer == null) {
            consumer = new OutputChunkConsumer(kafkaConfig, json);
        } else if (watched.isEmpty()) {
            consumer.seekToEnd();
        }
        Watched w = watched.computeIfAbsent(subscriber.jobId, Watched::new);
        w.subscribers.add(subscriber);
        read(List.of(w));
        List<ReplayItem> replay = new ArrayList<>();
        if (w.progress == null) {
            return replay;
        }
        for (HostRun run : w.progress.runs()) {
            String key = key(run);
            if (run.startedAt != null) {
                subscriber.started.add(key);
                replay.add(new ReplayItem.Ready(runStarted(run)));
            }
            if (run.state.isTerminal()) {
                subscriber.finished.add(key);
                replay.add(new ReplayItem.Stored(run.id, run.hostName, run.attempt, "stdout"));
                replay.add(new ReplayItem.Stored(run.id, run.hostName, run.attempt, "stderr"));
                replay.add(new ReplayItem.Ready(runFinished(run)));
            }
        }
        if (w.progress.job().state.isTerminal()) {
            replay.add(new ReplayItem.Ready(jobFinished(w.progress)));
            subscriber.finish(null);
            w.subscribers.remove(subscriber);
            if (w.subscribers.isEmpty()) {
                watched.remove(subscriber.jobId);
            }
        }
        return replay;
    }

    /** Reads all watched jobs; a database error is logged and retried at the next interval, chunks still flow. */
    private void readAll() {
        try {
            read(new ArrayList<>(watched.values()));
        } catch (RuntimeException e) {
            LOG.warnf("cannot read the state of watched jobs (retrying): %s", e.toString());
        }
    }

    private void read(List<Watched> jobs) {
        Map<UUID, Watched> byId = new LinkedHashMap<>();
        jobs.forEach(w -> byId.put(w.jobId, w));
        long now = System.nanoTime();
        for (JobProgress p : queries.progress(byId.keySet())) {
            Watched w = byId.get(p.jobId());
            w.progress = p;
            for (HostRun run : p.runs()) {
                if (run.state.isTerminal()) {
                    w.endedAt.putIfAbsent(key(run), now);
                }
            }
        }
    }

    private boolean isWatchedKey(String recordKey) {
        int slash = recordKey.indexOf('/');
        try {
            return slash > 0 && watched.containsKey(UUID.fromString(recordKey.substring(0, slash)));
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private boolean startsUnseenRun(List<OutputChunkEvent> chunks) {
        for (OutputChunkEvent chunk : chunks) {
            Watched w = watched.get(chunk.jobId());
            if (w != null
                    && w.progress != null
                    && w.progress.runs().stream()
                            .noneMatch(r -> r.hostName.equals(chunk.host()) && r.attempt == chunk.attempt())) {
                return true;
            }
        }
        return false;
    }

    private void forward(List<OutputChunkEvent> chunks) {
        for (OutputChunkEvent chunk : chunks) {
            Watched w = watched.get(chunk.jobId());
            if (w == null) {
                continue;
            }
            String run = chunk.host() + "/" + chunk.attempt();
            if (chunk.eof()) {
                w.eof.add(run + "/" + chunk.stream());
                continue;
            }
            StreamEvent event = null;
            for (Subscriber s : List.copyOf(w.subscribers)) {
                if (s.finished.contains(run)) {
                    continue;
                }
                if (event == null) {
                    event = output(chunk);
                }
                if (!s.offer(event)) {
                    w.subscribers.remove(s);
                }
            }
        }
        watched.values().removeIf(w -> w.subscribers.isEmpty());
    }

    /** Sends each subscriber the run-started and run-finished it has not had, then job-finished when all ended. */
    private void advance(Watched w) {
        if (w.progress == null) {
            return;
        }
        long now = System.nanoTime();
        for (Subscriber s : List.copyOf(w.subscribers)) {
            boolean open = true;
            boolean allFinished = true;
            for (HostRun run : w.progress.runs()) {
                String key = key(run);
                if (run.startedAt != null && !s.started.contains(key)) {
                    s.started.add(key);
                    open &= s.offer(runStarted(run));
                }
                if (run.state.isTerminal() && !s.finished.contains(key)) {
                    if (outputArrived(w, run, now)) {
                        s.finished.add(key);
                        open &= s.offer(runFinished(run));
                    } else {
                        allFinished = false;
                    }
                }
            }
            if (open && allFinished && w.progress.job().state.isTerminal()) {
                s.finish(jobFinished(w.progress));
                open = false;
            }
            if (!open) {
                w.subscribers.remove(s);
            }
        }
        if (w.subscribers.isEmpty()) {
            watched.remove(w.jobId);
        }
    }

    /** True when the run's end-of-stream chunks arrived for every stream it printed on, or the grace passed. */
    private boolean outputArrived(Watched w, HostRun run, long now) {
        String key = key(run);
        boolean stdout = run.stdoutChunks == 0 || w.eof.contains(key + "/stdout");
        boolean stderr = run.stderrChunks == 0 || w.eof.contains(key + "/stderr");
        Long endedAt = w.endedAt.get(key);
        return stdout && stderr
                || endedAt != null && now - endedAt >= config.outputGrace().toNanos();
    }

    private static String key(HostRun run) {
        return run.hostName + "/" + run.attempt;
    }

    private StreamEvent runStarted(HostRun run) {
        return event("run-started", key(run) + "/started", RunStartedData.from(run));
    }

    private StreamEvent runFinished(HostRun run) {
        return event("run-finished", key(run) + "/finished", RunView.from(run));
    }

    private StreamEvent jobFinished(JobProgress p) {
        return event("job-finished", "job-finished", JobFinishedData.from(p));
    }

    private StreamEvent output(OutputChunkEvent chunk) {
        return event("output", chunk.host() + "/" + chunk.attempt() + "/" + chunk.seq(), OutputData.from(chunk));
    }

    StreamEvent event(String name, String id, Object data) {
        try {
            return new StreamEvent(name, id, json.writeValueAsString(data));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write a " + name + " event", e);
        }
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
