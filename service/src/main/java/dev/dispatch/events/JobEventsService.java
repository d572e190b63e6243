package dev.dispatch.events;

import dev.dispatch.job.JobQueryService;
import dev.dispatch.job.RunOutput;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.Startup;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * Live event streams of jobs: what already happened (from PostgreSQL), then what happens, until the job finished.
 * Stored output of ended runs is read one stream at a time as the client consumes, so a late subscriber to a large
 * job does not load all of it at once.
 */
@ApplicationScoped
@Startup
public class JobEventsService {
    private final JobQueryService queries;
    private final JobWatcher watcher;
    private final EventsConfig config;
    private final AtomicInteger open = new AtomicInteger();
    private final Map<UUID, Integer> perJob = new HashMap<>();

    public JobEventsService(JobQueryService queries, JobWatcher watcher, EventsConfig config, MeterRegistry metrics) {
        this.queries = queries;
        this.watcher = watcher;
        this.config = config;
        Gauge.builder("dispatch.event.subscribers", open, AtomicInteger::get)
                .description("Open job event streams (SSE clients) of this process")
                .register(metrics);
    }

    /**
     * The event stream of the tenant's job; completes after {@code job-finished} (or an {@code overflow} event when the
     * client reads too slowly). Blocks briefly while the subscription is registered; throws
     * {@link dev.dispatch.job.JobNotFoundException} for unknown or foreign jobs.
     */
    public Multi<StreamEvent> subscribe(String tenantId, String jobId) {
        UUID id = queries.get(tenantId, jobId).job().id;
        reserve(id);
        Subscriber subscriber = new Subscriber(id, config.subscriberBufferBytes());
        List<ReplayItem> replay;
        try {
            replay = watcher.attach(subscriber).get(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            watcher.detach(subscriber);
            release(id);
            throw new IllegalStateException("interrupted while subscribing to job " + id, e);
        } catch (ExecutionException | TimeoutException e) {
            watcher.detach(subscriber);
            release(id);
            throw new IllegalStateException("cannot subscribe to job " + id, e);
        }
        Multi<StreamEvent> history =
                Multi.createFrom().iterable(replay).onItem().transformToMultiAndConcatenate(this::materialize);
        Multi<StreamEvent> live =
                Multi.createBy().repeating().completionStage(subscriber::next).until(e -> e == StreamEvent.END);
        return Multi.createBy()
                .concatenating()
                .streams(history, live)
                .select()
                .where(e -> e != StreamEvent.END)
                .onTermination()
                .invoke(() -> {
                    release(id);
                    watcher.detach(subscriber);
                });
    }

    /** Counts one more stream of the job, or refuses it when this process or this job has as many as allowed. */
    private synchronized void reserve(UUID job) {
        if (open.get() >= config.maxSubscribers()) {
            throw new TooManySubscribersException("this process already serves " + open.get() + " event streams, "
                    + "its limit (dispatch.events.max-subscribers = " + config.maxSubscribers() + "); try again later");
        }
        int ofJob = perJob.getOrDefault(job, 0);
        if (ofJob >= config.maxSubscribersPerJob()) {
            throw new TooManySubscribersException("job " + job + " already has " + ofJob + " event streams here, its "
                    + "limit (dispatch.events.max-subscribers-per-job = " + config.maxSubscribersPerJob() + ")");
        }
        perJob.put(job, ofJob + 1);
        open.incrementAndGet();
    }

    private synchronized void release(UUID job) {
        perJob.computeIfPresent(job, (k, n) -> n <= 1 ? null : n - 1);
        open.decrementAndGet();
    }

    private Multi<StreamEvent> materialize(ReplayItem item) {
        return switch (item) {
            case ReplayItem.Ready ready -> Multi.createFrom().item(ready.event());
            case ReplayItem.Stored stored ->
                Multi.createFrom()
                        .<StreamEvent>items(() -> stored(stored))
                        .runSubscriptionOn(Infrastructure.getDefaultWorkerPool());
        };
    }

    private Stream<StreamEvent> stored(ReplayItem.Stored item) {
        RunOutput output = queries.storedOutput(item.runId(), item.stream()).orElse(null);
        if (output == null || output.data.length == 0) {
            return Stream.empty();
        }
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("host", item.host());
        data.put("attempt", item.attempt());
        data.put("stream", item.stream());
        String text = utf8(output.data);
        if (text != null) {
            data.put("text", text);
        } else {
            data.put("bytes", Base64.getEncoder().encodeToString(output.data));
        }
        data.put("replay", true);
        data.put("totalBytes", output.totalBytes);
        data.put("truncated", output.truncated);
        return Stream.of(watcher.event("output", item.host() + "/" + item.attempt() + "/" + item.stream(), data));
    }

    private static String utf8(byte[] data) {
        try {
            return StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(data))
                    .toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }
}
