package dev.dispatch.worker;

import dev.dispatch.job.HostRunService;
import dev.dispatch.job.RunLease;
import dev.dispatch.job.RunResult;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import org.jboss.logging.Logger;

/**
 * Group commit of finished runs: the results that arrive while one batch is being written go into the next, in one
 * transaction ({@link HostRunService#finishAll}), so a burst of finishes costs a few commits instead of two per run,
 * and a lone finish waits for nothing (no timer). Each run thread waits for its own verdict, so its lease stays
 * renewed until the result is in the database.
 *
 * <p>Batching is an optimisation only: when a batch fails (an outage, one bad row), every result in it is answered
 * {@link Optional#empty()} and its run records itself alone, with the retries and fencing of the single path. After
 * a batch commits, the recorder completes the jobs it touched. One virtual thread; thread-safe.
 */
final class ResultRecorder {
    private static final Logger LOG = Logger.getLogger(ResultRecorder.class);

    private record Pending(
            HostRunService.Finishing finishing,
            UUID jobId,
            CompletableFuture<Optional<HostRunService.Finish>> verdict) {}

    private final HostRunService runs;
    private final RunDatabaseGate database;
    private final String workerId;
    private final int maxBatch;
    private final Runnable onFailure;
    private final LinkedBlockingQueue<Pending> queue = new LinkedBlockingQueue<>();

    ResultRecorder(HostRunService runs, RunDatabaseGate database, String workerId, int maxBatch, Runnable onFailure) {
        this.runs = runs;
        this.database = database;
        this.workerId = workerId;
        this.maxBatch = maxBatch;
        this.onFailure = onFailure;
        Thread.ofVirtual().name("dispatch-result-recorder").start(this::loop);
    }

    /**
     * Records the result in the next batch and waits for it: the verdict, or empty if the batch failed and the caller
     * must record it alone.
     */
    Optional<HostRunService.Finish> record(RunLease lease, UUID jobId, RunResult result) {
        Pending pending = new Pending(new HostRunService.Finishing(lease, result), jobId, new CompletableFuture<>());
        queue.add(pending);
        return pending.verdict().join();
    }

    private void loop() {
        List<Pending> batch = new ArrayList<>();
        while (true) {
            try {
                batch.add(queue.take());
                queue.drainTo(batch, maxBatch - 1);
                write(batch);
            } catch (InterruptedException e) {
                LOG.debug("result recorder interrupted; it keeps serving");
            } catch (RuntimeException e) {
                LOG.errorf(e, "result recorder failed on a batch of %d", batch.size());
                batch.forEach(p -> p.verdict().complete(Optional.empty()));
            } finally {
                batch.clear();
            }
        }
    }

    private void write(List<Pending> batch) {
        Map<RunLease, HostRunService.Finish> verdicts;
        try {
            verdicts = database.call(() -> runs.finishAll(
                    workerId, batch.stream().map(Pending::finishing).toList()));
        } catch (RuntimeException e) {
            onFailure.run();
            LOG.debugf("a batch of %d results failed (%s); each run records its own", batch.size(), e.toString());
            batch.forEach(p -> p.verdict().complete(Optional.empty()));
            return;
        }
        Set<UUID> jobs = new LinkedHashSet<>();
        for (Pending p : batch) {
            HostRunService.Finish verdict = verdicts.get(p.finishing().lease());
            if (verdict != HostRunService.Finish.FENCED) {
                jobs.add(p.jobId());
            }
            p.verdict().complete(Optional.of(verdict));
        }
        for (UUID job : jobs) {
            try {
                database.run(() -> runs.completeIfFinished(job));
            } catch (RuntimeException e) {
                onFailure.run();
                LOG.debugf("job completion left to the reaper: %s", e.getMessage());
            }
        }
    }
}
