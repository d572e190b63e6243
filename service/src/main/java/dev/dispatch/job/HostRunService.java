package dev.dispatch.job;

import dev.dispatch.messaging.HostResultEvent;
import dev.dispatch.messaging.JobEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Event;
import jakarta.persistence.LockModeType;
import jakarta.persistence.OptimisticLockException;
import jakarta.transaction.Transactional;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.jboss.logging.Logger;

/**
 * The lifecycle of host runs as the workers drive it: claim, lease renewal, finish, and lease expiry.
 * Each method is one short transaction; no transaction is ever held while SSH I/O happens.
 */
@ApplicationScoped
public class HostRunService {
    private static final Logger LOG = Logger.getLogger(HostRunService.class);
    private static final int JOBS_PER_CLAIM = 32;

    private final JobRepository jobs;
    private final HostRunRepository runs;
    private final Event<JobEvent> jobEvents;
    private final Event<HostResultEvent> hostResults;

    public HostRunService(
            JobRepository jobs, HostRunRepository runs, Event<JobEvent> jobEvents, Event<HostResultEvent> hostResults) {
        this.jobs = jobs;
        this.runs = runs;
        this.jobEvents = jobEvents;
        this.hostResults = hostResults;
    }

    /**
     * Claims up to {@code capacity} queued runs for this worker, never exceeding any job's {@code parallelism}
     * across all workers, and sharing the capacity round-robin between jobs so one large job does not starve others.
     */
    @Transactional
    public List<ClaimedRun> claim(String workerId, int capacity) {
        return claim(workerId, capacity, Duration.ZERO, Duration.ZERO);
    }

    /**
     * As {@link #claim(String, int)}, leaving runs of jobs younger than {@code affinityGrace} on hosts another worker
     * holds a session to (per session hints newer than {@code hintFreshness}) to that worker.
     */
    @Transactional
    public List<ClaimedRun> claim(String workerId, int capacity, Duration affinityGrace, Duration hintFreshness) {
        if (capacity <= 0) {
            return List.of();
        }
        List<Object[]> candidates = runs.lockJobsWithQueuedRuns(JOBS_PER_CLAIM);
        int n = candidates.size();
        UUID[] ids = new UUID[n];
        int[] free = new int[n];
        int[] grant = new int[n];
        for (int i = 0; i < n; i++) {
            ids[i] = (UUID) candidates.get(i)[0];
            free[i] = Math.max(0, ((Number) candidates.get(i)[1]).intValue() - (int) runs.countRunning(ids[i]));
        }
        int left = capacity;
        boolean progress = true;
        while (left > 0 && progress) {
            progress = false;
            for (int i = 0; i < n && left > 0; i++) {
                if (grant[i] < free[i]) {
                    grant[i]++;
                    left--;
                    progress = true;
                }
            }
        }
        List<ClaimedRun> claimed = new ArrayList<>();
        Instant now = Instant.now();
        for (int i = 0; i < n; i++) {
            if (grant[i] == 0) {
                continue;
            }
            List<UUID> runIds =
                    runs.claim(ids[i], runs.currentBatch(ids[i]), workerId, grant[i], affinityGrace, hintFreshness);
            if (runIds.isEmpty()) {
                continue;
            }
            Job job = jobs.findById(ids[i]);
            job.lastClaimAt = now;
            if (job.state == JobState.QUEUED) {
                job.moveTo(JobState.RUNNING, now);
                jobEvents.fire(JobEvent.of("started", job, null));
            }
            for (HostRun run : runs.list("id in ?1 order by ordinal", runIds)) {
                claimed.add(new ClaimedRun(
                        run.id,
                        run.jobId,
                        run.tenantId,
                        run.hostName,
                        run.attempt,
                        JobKind.fromWire(job.kind),
                        job.request,
                        job.timeout(),
                        job.submittedBy,
                        job.secrets));
            }
        }
        return claimed;
    }

    /** Hands runs this worker claimed but never started back to the queue, as if they had not been claimed. */
    @Transactional
    public int release(List<UUID> runIds, String workerId) {
        return runs.release(runIds, workerId);
    }

    /** Renews the leases of the run attempts this worker holds; returns those it still holds (the fencing check). */
    @Transactional
    public Set<RunLease> heartbeat(String workerId, Collection<RunLease> leases) {
        return runs.heartbeat(workerId, leases);
    }

    /** What became of a result a worker tried to record. */
    public enum Finish {
        /** Recorded now. */
        RECORDED,
        /** Recorded by an earlier call whose commit the caller did not see (a retry after a lost connection). */
        ALREADY_RECORDED,
        /** Refused: the attempt is no longer this worker's (declared LOST, retried, or gone). */
        FENCED
    }

    /**
     * Records the outcome of a run attempt this worker still holds (its row locked first, the job row last, the same
     * order as lease expiry, so they cannot deadlock). The attempt is the fencing token: a late result of an attempt
     * that was declared LOST (and maybe retried) is refused, never written over the newer one. Idempotent, so a
     * caller whose commit failed in flight may call again.
     */
    @Transactional
    public Finish finish(RunLease lease, String workerId, RunResult result) {
        HostRun run = runs.getEntityManager().find(HostRun.class, lease.runId(), LockModeType.PESSIMISTIC_WRITE);
        Finish verdict = verdict(run, lease, workerId, result);
        if (verdict != Finish.RECORDED) {
            return verdict;
        }
        write(List.of(new Finishing(lease, result)), Map.of(run.id, run), workerId);
        return Finish.RECORDED;
    }

    /** A result to record: the run attempt it belongs to and its outcome. */
    public record Finishing(RunLease lease, RunResult result) {}

    /**
     * Records many results of this worker in one transaction (a group commit), with their host results in the outbox,
     * exactly as {@link #finish} records one: each attempt is fenced on its own, so the answer says per lease what
     * became of it. Rows are locked in id order (as lease renewal locks them), so batches and renewals cannot deadlock.
     * Any failure rolls back the whole batch; the caller then records each result alone.
     */
    @Transactional
    public Map<RunLease, Finish> finishAll(String workerId, List<Finishing> batch) {
        Map<RunLease, Finish> verdicts = new LinkedHashMap<>();
        if (batch.isEmpty()) {
            return verdicts;
        }
        Map<UUID, HostRun> locked = new HashMap<>();
        for (HostRun run : runs.getEntityManager()
                .createQuery("from HostRun where id in :ids order by id", HostRun.class)
                .setParameter(
                        "ids",
                        batch.stream().map(f -> f.lease().runId()).distinct().toList())
                .setLockMode(LockModeType.PESSIMISTIC_WRITE)
                .getResultList()) {
            locked.put(run.id, run);
        }
        List<Finishing> recordable = new ArrayList<>();
        Set<UUID> recorded = new HashSet<>();
        for (Finishing f : batch) {
            Finish verdict = verdict(locked.get(f.lease().runId()), f.lease(), workerId, f.result());
            if (verdict == Finish.RECORDED && !recorded.add(f.lease().runId())) {
                verdict = Finish.FENCED; // two results for one run in a batch: the first one counts
            }
            verdicts.put(f.lease(), verdict);
            if (verdict == Finish.RECORDED) {
                recordable.add(f);
            }
        }
        write(recordable, locked, workerId);
        return verdicts;
    }

    /**
     * Whether a result of {@code lease} may be recorded on {@code run} (locked): the attempt is the fencing token, so a
     * late result of an attempt declared LOST (and maybe retried) is refused, never written over the newer one; a
     * result already recorded (a retry after a commit the caller did not see) is recognised.
     */
    private static Finish verdict(HostRun run, RunLease lease, String workerId, RunResult result) {
        if (run == null) {
            return Finish.FENCED;
        }
        if (run.attempt == lease.attempt()
                && workerId.equals(run.claimedBy)
                && run.state == result.state()
                && run.finishedAt != null) {
            return Finish.ALREADY_RECORDED;
        }
        if (run.state != RunState.RUNNING || !workerId.equals(run.claimedBy) || run.attempt != lease.attempt()) {
            LOG.warnf(
                    "run %s on %s was %s at attempt %d under %s when worker %s finished attempt %d; result dropped",
                    run.id, run.hostName, run.state, run.attempt, run.claimedBy, workerId, lease.attempt());
            return Finish.FENCED;
        }
        return Finish.RECORDED;
    }

    /** Writes the recordable results onto their locked runs, replacing stored output, then their jobs' follow-ups. */
    private void write(List<Finishing> recordable, Map<UUID, HostRun> locked, String workerId) {
        if (recordable.isEmpty()) {
            return;
        }
        // Before the runs are modified (a native statement flushes the session). Native: Hibernate re-translates HQL
        // bulk deletes on every call, and this runs for every host run.
        runs.getEntityManager()
                .createNativeQuery("delete from run_output where run_id in (:runs)")
                .setParameter(
                        "runs", recordable.stream().map(f -> f.lease().runId()).toList())
                .executeUpdate();
        Instant now = Instant.now();
        Map<UUID, List<HostRun>> byJob = new LinkedHashMap<>();
        for (Finishing f : recordable) {
            HostRun run = locked.get(f.lease().runId());
            RunResult result = f.result();
            run.moveTo(result.state(), now);
            run.exitCode = result.exitCode();
            run.exitSignal = result.exitSignal();
            run.error = result.error();
            run.address = result.address();
            run.port = result.port();
            run.username = result.username();
            run.changed = result.changed();
            run.artifactSha256 = result.artifact();
            run.stdoutBytes = result.stdout().totalBytes();
            run.stderrBytes = result.stderr().totalBytes();
            run.stdoutChunks = result.stdout().chunks();
            run.stderrChunks = result.stderr().chunks();
            storeOutput(run.id, "stdout", result.stdout());
            storeOutput(run.id, "stderr", result.stderr());
            byJob.computeIfAbsent(run.jobId, k -> new ArrayList<>()).add(run);
        }
        try {
            runs.flush();
        } catch (OptimisticLockException e) {
            LOG.warnf("a run changed under worker %s while its result was recorded; results dropped", workerId);
            throw e;
        }
        // The job rows are not locked here (unless maxFailures needs it), so the runs of one job finish in parallel;
        // the caller completes the jobs after this commit (completeIfFinished), and the lease reaper sweeps any job a
        // crash left uncompleted.
        byJob.forEach((jobId, ended) -> ended(jobs.findById(jobId), ended, now, Duration.ZERO));
    }

    /**
     * Requests cancellation: queued runs become SKIPPED now, running ones are interrupted by the workers holding them
     * (which record them CANCELLED), and the job ends CANCELLED once nothing runs. Returns false if already ended.
     */
    @Transactional
    public boolean cancel(UUID jobId) {
        Job job = jobs.lock(jobId);
        if (job == null || job.state.isTerminal()) {
            return false;
        }
        Instant now = Instant.now();
        job.cancelRequested = true;
        for (HostRun skipped : runs.skipQueued(jobId, now)) {
            hostResults.fire(HostResultEvent.from(skipped));
        }
        runs.flush();
        completeIfDone(job, now);
        return true;
    }

    /** Running run attempts this worker holds whose job was cancelled (polled so cancels reach every worker). */
    @Transactional
    public List<RunLease> cancelledRunsHeldBy(String workerId) {
        return runs.cancelledRunsHeldBy(workerId);
    }

    /**
     * After runs of a job reached a terminal state: publishes their results, queues another attempt where the job
     * allows retries, skips the rest once {@code maxFailures} is reached, and finishes the job when nothing is left.
     */
    private void ended(Job job, List<HostRun> ended, Instant now, Duration lostRetryDelay) {
        for (HostRun run : ended) {
            hostResults.fire(HostResultEvent.from(run));
            if (run.state.isRetryable() && run.attempt <= job.retries && !job.cancelRequested) {
                LOG.infof(
                        "run of job %s on %s ended %s; queueing attempt %d of %d",
                        job.id, run.hostName, run.state, run.attempt + 1, job.retries + 1);
                run.requeueForRetry(run.state == RunState.LOST ? now.plus(lostRetryDelay) : null);
            }
        }
        runs.flush();
        if (job.maxFailures == null || ended.stream().noneMatch(r -> r.state.isFailure())) {
            return;
        }
        // Under the job row lock: concurrent failures each counting without it could all miss the threshold.
        runs.getEntityManager().refresh(job, LockModeType.PESSIMISTIC_WRITE);
        if (!job.state.isTerminal() && runs.countFailures(job.id) >= job.maxFailures) {
            List<HostRun> skipped = runs.skipQueued(job.id, now);
            if (!skipped.isEmpty()) {
                LOG.infof(
                        "job %s reached maxFailures=%d; skipping %d queued run(s)",
                        job.id, job.maxFailures, skipped.size());
            }
            for (HostRun run : skipped) {
                hostResults.fire(HostResultEvent.from(run));
            }
            runs.flush();
        }
    }

    /**
     * Finishes the job if none of its runs is queued or running any more (skipping queued runs first when it was
     * cancelled). Cheap when runs remain: the job row is locked only once the committed state says it is done, so
     * concurrent finishers never queue up on it, and a second caller finds the job already terminal.
     */
    @Transactional
    public void completeIfFinished(UUID jobId) {
        if (runs.countUnfinished(jobId) > 0 && !runs.hasOnlyQueuedLeftOfCancelled(jobId)) {
            return;
        }
        Job job = jobs.lock(jobId);
        if (job == null || job.state.isTerminal()) {
            return;
        }
        Instant now = Instant.now();
        if (job.cancelRequested) {
            for (HostRun skipped : runs.skipQueued(jobId, now)) {
                hostResults.fire(HostResultEvent.from(skipped));
            }
        }
        completeIfDone(job, now);
    }

    /** Safety net for crashes between a run's finish and its job's completion: completes every such job. */
    @Transactional
    public List<UUID> jobsToComplete() {
        return runs.activeJobsWithNothingToRun();
    }

    /**
     * Declares runs LOST whose worker stopped renewing its lease for {@code lease}; returns their jobs, to be completed
     * after. A retry of a LOST run waits {@code retryDelay}: its old worker may be alive but cut off from the database,
     * and fences itself (stops the remote command) within that time.
     */
    @Transactional
    public List<UUID> expireLeases(Duration lease, Duration retryDelay) {
        List<UUID> lost = runs.expireLeases(lease);
        if (lost.isEmpty()) {
            return lost;
        }
        Map<UUID, List<HostRun>> byJob = new LinkedHashMap<>();
        for (HostRun run : runs.list("id in ?1", lost)) {
            LOG.warnf("run %s of job %s on %s is LOST: %s", run.id, run.jobId, run.hostName, run.error);
            byJob.computeIfAbsent(run.jobId, k -> new ArrayList<>()).add(run);
        }
        Instant now = Instant.now();
        byJob.forEach((jobId, ended) -> ended(jobs.findById(jobId), ended, now, retryDelay));
        return new ArrayList<>(byJob.keySet());
    }

    private void storeOutput(UUID runId, String stream, RunResult.StoredStream data) {
        if (data.totalBytes() == 0) {
            return;
        }
        RunOutput out = new RunOutput();
        out.key = new RunOutput.Key(runId, stream);
        out.data = data.data();
        out.totalBytes = data.totalBytes();
        out.truncated = data.truncated();
        runs.getEntityManager().persist(out);
    }

    /** With the job row locked: finishes the job when no run is queued or running. */
    private void completeIfDone(Job job, Instant now) {
        if (job.state.isTerminal() || runs.countUnfinished(job.id) > 0) {
            return;
        }
        var summary = jobs.summary(job.id);
        boolean allSucceeded = summary.keySet().stream().allMatch(s -> s.equals(RunState.SUCCEEDED.name()));
        job.moveTo(job.cancelRequested ? JobState.CANCELLED : allSucceeded ? JobState.SUCCEEDED : JobState.FAILED, now);
        jobEvents.fire(JobEvent.of("finished", job, summary));
    }
}
