package dev.dispatch.worker;

import dev.dispatch.DatabaseFailures;
import dev.dispatch.DispatchConfig;
import dev.dispatch.artifact.Artifact;
import dev.dispatch.artifact.ArtifactService;
import dev.dispatch.artifact.ArtifactWriter;
import dev.dispatch.inventory.CredentialCipher;
import dev.dispatch.inventory.InventoryService;
import dev.dispatch.inventory.MissingJumpHostException;
import dev.dispatch.job.ClaimedRun;
import dev.dispatch.job.HostRunService;
import dev.dispatch.job.JobKind;
import dev.dispatch.job.JobRequest;
import dev.dispatch.job.JobSecrets;
import dev.dispatch.job.RunLease;
import dev.dispatch.job.RunResult;
import dev.dispatch.job.RunState;
import dev.dispatch.messaging.HostResultEvent;
import dev.dispatch.messaging.JobEvent;
import dev.dispatch.messaging.OutputChunkPublisher;
import dev.dispatch.ssh.CommandRunner;
import dev.dispatch.ssh.ExecResult;
import dev.dispatch.ssh.ExecSpec;
import dev.dispatch.ssh.FileContent;
import dev.dispatch.ssh.FileResult;
import dev.dispatch.ssh.FileSpec;
import dev.dispatch.ssh.FileTransfer;
import dev.dispatch.ssh.SshOutcome;
import dev.dispatch.ssh.SshTarget;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.event.TransactionPhase;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.jboss.logging.Logger;
import org.jboss.logging.MDC;

/**
 * The worker role: claims queued host runs under a lease, runs each on a virtual thread through the SSH executor,
 * streams output to Kafka, records the result, renews its leases, and declares other workers' expired runs LOST.
 */
@ApplicationScoped
public class WorkerService {
    private static final Logger LOG = Logger.getLogger(WorkerService.class);
    private static final int MAX_CLAIM = 64;

    private final WorkerConfig config;
    private final boolean enabled;
    private final HostRunService runs;
    private final InventoryService inventory;
    private final CommandRunner runner;
    private final FileTransfer files;
    private final ArtifactService artifacts;
    private final OutputChunkPublisher chunks;
    private final RunDatabaseGate database;
    private final CredentialCipher cipher;
    private final String workerId;
    private final Semaphore inFlightBytes;
    private final Semaphore wakeups = new Semaphore(0);
    private final AtomicInteger active = new AtomicInteger();
    private final Map<RunLease, RunHandle> running = new ConcurrentHashMap<>();
    /** When this process last saw a database operation fail (System.nanoTime), for the reaper's grace. */
    private final AtomicLong lastDbFailure = new AtomicLong(System.nanoTime() - Long.MAX_VALUE / 2);

    private volatile boolean renewalOverdue;
    private volatile ResultRecorder recorder;

    /**
     * One run attempt this worker holds: the thread executing it, its cancel flag (MINA swallows interrupts in some
     * waits, so both are used), when its lease was last renewed, and whether it is past its SSH phase (recording its
     * result, never interrupted then) or was fenced (no longer ours, or its lease could not be renewed in time).
     */
    private static final class RunHandle {
        final Thread thread;
        final AtomicBoolean cancelled = new AtomicBoolean();
        volatile long renewedAt = System.nanoTime();
        volatile boolean recording;
        volatile String fenced;
        volatile boolean lostByUs;

        RunHandle(Thread thread) {
            this.thread = thread;
        }
    }

    private final ExecutorService executor = Executors.newThreadPerTaskExecutor(
            Thread.ofVirtual().name("dispatch-run-", 0).factory());
    private volatile boolean claiming;
    private volatile long shutdownDeadline = Long.MAX_VALUE;
    private Thread loop;
    private final RunsQueuedListener queued;

    public WorkerService(
            WorkerConfig config,
            DispatchConfig dispatch,
            HostRunService runs,
            InventoryService inventory,
            CommandRunner runner,
            FileTransfer files,
            ArtifactService artifacts,
            OutputChunkPublisher chunks,
            RunDatabaseGate database,
            RunsQueuedListener queued,
            CredentialCipher cipher) {
        this.queued = queued;
        this.cipher = cipher;
        this.config = config;
        this.database = database;
        this.files = files;
        this.artifacts = artifacts;
        this.enabled = dispatch.role().runsWorker();
        this.runs = runs;
        this.inventory = inventory;
        this.runner = runner;
        this.chunks = chunks;
        this.workerId = config.id().orElseGet(WorkerService::defaultId);
        this.inFlightBytes = new Semaphore(config.maxInFlightOutputBytes());
    }

    void start(@Observes StartupEvent event) {
        if (!enabled) {
            return;
        }
        // Creating the gate checks the pool size against dispatch.worker.reserved-connections (fails startup).
        int inDatabase = database.permits();
        recorder = new ResultRecorder(runs, database, workerId, MAX_CLAIM, this::dbFailed);
        claiming = true;
        loop = Thread.ofPlatform().name("dispatch-claim").daemon().start(this::claimLoop);
        if (config.listenForQueuedRuns()) {
            queued.start(wakeups::release);
        }
        LOG.infof(
                "worker %s started (max %d concurrent runs, %d of them in the database at once)",
                workerId, config.maxConcurrentRuns(), inDatabase);
    }

    void stop(@Observes ShutdownEvent event) {
        if (!enabled) {
            return;
        }
        claiming = false;
        queued.stop();
        wakeups.release();
        try {
            // The claim loop ends first, so every run it claimed has been handed to the executor.
            if (loop != null) {
                loop.join(30_000);
            }
            executor.shutdown();
            shutdownDeadline = System.nanoTime() + config.drainTimeout().toNanos() * 2;
            // Leases are renewed here: the scheduler may already be stopped, and a draining run must not turn LOST.
            long drainEnd = System.nanoTime() + config.drainTimeout().toNanos();
            while (!executor.isTerminated() && System.nanoTime() < drainEnd) {
                renewLeases();
                long slice = Math.min(config.heartbeatInterval().toNanos(), drainEnd - System.nanoTime());
                executor.awaitTermination(Math.max(1, slice), TimeUnit.NANOSECONDS);
            }
            if (!executor.isTerminated()) {
                LOG.warnf("drain timeout: cancelling %d running command(s)", active.get());
                running.keySet().forEach(this::interrupt);
                while (!executor.awaitTermination(config.heartbeatInterval().toMillis(), TimeUnit.MILLISECONDS)) {
                    renewLeases();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Renews the leases of every run attempt this worker holds (executing or recording its result). An attempt the
     * database no longer gives this worker was declared LOST (and maybe retried elsewhere): it is stopped remotely and
     * its result dropped. A failed renewal is retried at the cancel-poll pace until it succeeds.
     */
    private void renewLeases() {
        List<RunLease> held = List.copyOf(running.keySet());
        if (held.isEmpty()) {
            renewalOverdue = false;
            return;
        }
        long now = System.nanoTime();
        Set<RunLease> renewed;
        try {
            renewed = runs.heartbeat(workerId, held);
        } catch (RuntimeException e) {
            dbFailed();
            if (!renewalOverdue) {
                LOG.warnf("lease renewal of %d run(s) failed, retrying: %s", held.size(), e.getMessage());
            }
            renewalOverdue = true;
            return;
        }
        renewalOverdue = false;
        for (RunLease lease : held) {
            RunHandle handle = running.get(lease);
            if (handle == null) {
                continue;
            }
            if (renewed.contains(lease)) {
                handle.renewedAt = now;
            } else if (!handle.recording) {
                fence(lease, handle, "the database no longer gives this attempt to this worker");
            }
        }
    }

    /**
     * Stops a run attempt this worker may no longer run: its remote command is cancelled (killed) and its result is
     * not recorded as its own outcome.
     */
    private void fence(RunLease lease, RunHandle handle, String why) {
        if (handle.fenced != null) {
            return;
        }
        handle.fenced = why;
        LOG.warnf("run %s attempt %d fenced: %s; stopping its command", lease.runId(), lease.attempt(), why);
        interrupt(lease);
    }

    /** Stops run attempts whose lease this worker could not renew for longer than another worker may wait. */
    private void selfFence() {
        long limit = config.leaseTimeout().plus(config.heartbeatInterval()).toNanos();
        long now = System.nanoTime();
        running.forEach((lease, handle) -> {
            if (!handle.recording && now - handle.renewedAt > limit) {
                handle.lostByUs = true;
                fence(
                        lease,
                        handle,
                        "its lease could not be renewed for "
                                + config.leaseTimeout().plus(config.heartbeatInterval()));
            }
        });
    }

    private void dbFailed() {
        lastDbFailure.set(System.nanoTime());
    }

    /** This worker's id as written into leases. */
    public String workerId() {
        return workerId;
    }

    void onJobEvent(@Observes(during = TransactionPhase.AFTER_SUCCESS) JobEvent event) {
        if ("accepted".equals(event.type())) {
            wakeups.release();
        }
    }

    void onHostResult(@Observes(during = TransactionPhase.AFTER_SUCCESS) HostResultEvent event) {
        wakeups.release();
    }

    @Scheduled(
            every = "${dispatch.worker.heartbeat-interval:10s}",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void heartbeat() {
        if (enabled && !running.isEmpty()) {
            renewLeases();
        }
    }

    @Scheduled(
            every = "${dispatch.worker.cancel-poll-interval:500ms}",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void pollCancels() {
        if (!enabled || running.isEmpty()) {
            return;
        }
        if (renewalOverdue) {
            renewLeases();
        }
        selfFence();
        try {
            runs.cancelledRunsHeldBy(workerId).forEach(this::interrupt);
        } catch (RuntimeException e) {
            dbFailed();
            LOG.debugf("cancel poll failed: %s", e.getMessage());
        }
    }

    /** Cancels the run attempt while it is in its SSH phase; never during its final write. */
    private void interrupt(RunLease lease) {
        running.computeIfPresent(lease, (id, handle) -> {
            if (!handle.recording) {
                handle.cancelled.set(true);
                handle.thread.interrupt();
            }
            return handle;
        });
    }

    @Scheduled(
            every = "${dispatch.worker.reaper-interval:5s}",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void expireLeases() {
        if (!enabled) {
            return;
        }
        // After this process lost the database, every other worker may have too: give them a full lease to renew.
        if (System.nanoTime() - lastDbFailure.get() < config.leaseTimeout().toNanos()) {
            return;
        }
        try {
            Duration retryDelay =
                    config.leaseTimeout().compareTo(config.heartbeatInterval().plusSeconds(5)) > 0
                            ? config.leaseTimeout()
                            : config.heartbeatInterval().plusSeconds(5);
            runs.expireLeases(config.leaseTimeout(), retryDelay).forEach(runs::completeIfFinished);
            runs.jobsToComplete().forEach(runs::completeIfFinished);
        } catch (RuntimeException e) {
            dbFailed();
            LOG.warnf("lease expiry skipped: %s", e.getMessage());
        }
    }

    private void claimLoop() {
        while (claiming) {
            try {
                int free = config.maxConcurrentRuns() - active.get();
                List<ClaimedRun> claimed = free > 0
                        ? runs.claim(
                                workerId,
                                Math.min(free, MAX_CLAIM),
                                config.affinityGrace(),
                                SessionAffinity.freshness(config))
                        : List.of();
                Map<String, SshTarget> targets = resolveTargets(claimed);
                for (int i = 0; i < claimed.size(); i++) {
                    ClaimedRun run = claimed.get(i);
                    SshTarget target = targets.get(run.tenantId() + "/" + run.hostName());
                    active.incrementAndGet();
                    try {
                        executor.execute(() -> execute(run, target));
                    } catch (RejectedExecutionException e) {
                        active.decrementAndGet();
                        List<UUID> unstarted = claimed.subList(i, claimed.size()).stream()
                                .map(ClaimedRun::runId)
                                .toList();
                        runs.release(unstarted, workerId);
                        LOG.infof("shutting down: %d claimed run(s) handed back to the queue", unstarted.size());
                        return;
                    }
                }
                if (claimed.isEmpty()) {
                    wakeups.tryAcquire(config.pollInterval().toMillis(), TimeUnit.MILLISECONDS);
                    wakeups.drainPermits();
                }
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                dbFailed();
                LOG.errorf("claiming runs failed, retrying: %s", e.getMessage());
                sleep(config.pollInterval().toMillis() * 4);
            }
        }
    }

    /**
     * The targets of the claimed runs, resolved together (a few queries per tenant instead of several per run), keyed
     * by tenant and host name. Best effort: a run missing here (the lookup failed, the host or its jump host is gone)
     * resolves its own target, which retries through an outage and reports what is missing.
     */
    private Map<String, SshTarget> resolveTargets(List<ClaimedRun> claimed) {
        if (claimed.isEmpty()) {
            return Map.of();
        }
        Map<String, Set<String>> byTenant = new LinkedHashMap<>();
        claimed.forEach(r -> byTenant.computeIfAbsent(r.tenantId(), t -> new LinkedHashSet<>())
                .add(r.hostName()));
        Map<String, SshTarget> targets = new HashMap<>();
        byTenant.forEach((tenant, hosts) -> {
            try {
                database.call(() -> inventory.resolveTargets(tenant, hosts))
                        .forEach((host, target) -> targets.put(tenant + "/" + host, target));
            } catch (RuntimeException e) {
                dbFailed();
                LOG.debugf(
                        "resolving claimed runs' targets together failed, each run resolves its own: %s",
                        DatabaseFailures.describe(e));
            }
        });
        return targets;
    }

    private void execute(ClaimedRun run, SshTarget prefetched) {
        RunLease lease = new RunLease(run.runId(), run.attempt());
        RunHandle handle = new RunHandle(Thread.currentThread());
        running.put(lease, handle);
        MDC.put("jobId", run.jobId().toString());
        MDC.put("host", run.hostName());
        try {
            RunResult result;
            try {
                result = perform(run, handle.cancelled, prefetched);
            } catch (RuntimeException e) {
                LOG.errorf(e, "run failed inside dispatch");
                result = RunResult.failedBeforeStart(
                        handle.cancelled.get() ? RunState.CANCELLED : RunState.FAILED,
                        handle.cancelled.get()
                                ? "cancelled before the command started"
                                : "internal error: " + e.getClass().getSimpleName(),
                        null,
                        null,
                        null);
            } finally {
                handle.recording = true;
                Thread.interrupted();
            }
            if (handle.fenced != null && !handle.lostByUs) {
                LOG.warnf("result of run %s attempt %d dropped: %s", lease.runId(), lease.attempt(), handle.fenced);
                return;
            }
            if (handle.lostByUs) {
                result = result.as(RunState.LOST, "worker " + workerId + " stopped the command: " + handle.fenced);
            }
            record(lease, run, result);
        } finally {
            running.remove(lease);
            MDC.remove("jobId");
            MDC.remove("host");
            active.decrementAndGet();
            wakeups.release();
        }
    }

    /**
     * Records a run's result, in a group commit with the other runs finishing now, else alone, retrying while the
     * database is unavailable: the lease stays renewed meanwhile (the run is still in {@code running}), so a blip
     * shorter than the lease loses nothing. A failure that does not look like
     * an outage is retried for one lease timeout, then the run is left to turn LOST.
     */
    private void record(RunLease lease, ClaimedRun run, RunResult result) {
        ResultRecorder batches = recorder;
        if (batches != null && batches.record(lease, run.jobId(), result).isPresent()) {
            return; // recorded (or fenced) in a group commit, which also completed the job
        }
        HostRunService.Finish finish;
        try {
            finish = untilDatabaseAnswers("recording the result", () -> runs.finish(lease, workerId, result), null);
        } catch (RuntimeException e) {
            LOG.errorf(
                    "result of run %s attempt %d not recorded (%s); the lease will expire and the run will be LOST",
                    lease.runId(), lease.attempt(), DatabaseFailures.describe(e));
            return;
        }
        if (finish == HostRunService.Finish.FENCED) {
            return;
        }
        try {
            database.run(() -> runs.completeIfFinished(run.jobId()));
        } catch (RuntimeException e) {
            dbFailed();
            LOG.debugf("job completion left to the reaper: %s", e.getMessage());
        }
    }

    /**
     * Runs a host run's own database work under the {@link RunDatabaseGate}, retrying while the database is
     * unavailable: a blip shorter than the lease costs the run nothing, since the lease stays renewed (or, if the
     * outage outlasts it, the run turns LOST and a late write is fenced). Work that runs before the command (resolving
     * the target) is safe to repeat because nothing has reached the host yet; work after it holds the result in
     * memory. A failure that does not look like an outage is retried for one lease timeout, then thrown; so is any
     * failure once shutdown's drain deadline has passed, or once {@code cancelled} is set.
     */
    private <T, E extends Exception> T untilDatabaseAnswers(
            String what, RunDatabaseGate.Work<T, E> work, AtomicBoolean cancelled) throws E {
        long backoff = 100;
        long giveUp = System.nanoTime() + config.leaseTimeout().toNanos();
        while (true) {
            try {
                return database.call(work);
            } catch (RuntimeException e) {
                dbFailed();
                long now = System.nanoTime();
                if ((!DatabaseFailures.isTransient(e) && now > giveUp)
                        || (!claiming && now > shutdownDeadline)
                        || (cancelled != null && cancelled.get())) {
                    throw e;
                }
                LOG.warnf("%s failed (%s); retrying in %d ms", what, DatabaseFailures.describe(e), backoff);
                sleep(backoff);
                backoff = Math.min(backoff * 2, 5_000);
            }
        }
    }

    private RunResult perform(ClaimedRun claimed, AtomicBoolean cancelled, SshTarget prefetched) {
        ClaimedRun run;
        try {
            run = claimed.secrets() == null
                    ? claimed
                    : claimed.withRequest(JobSecrets.fromJson(cipher.decrypt(
                                    claimed.secrets(), JobSecrets.context(claimed.tenantId(), claimed.jobId())))
                            .applyTo(claimed.request()));
        } catch (IllegalStateException e) {
            return RunResult.failedBeforeStart(
                    RunState.FAILED, "the job's secrets cannot be opened: " + e.getMessage(), null, null, null);
        }
        RunResult result = performOnHost(run, cancelled, prefetched);
        // File kinds always say whether they changed the host; a run that never reached it changed nothing.
        return run.kind().isFile() && result.changed() == null ? result.withChanged(false) : result;
    }

    private RunResult performOnHost(ClaimedRun run, AtomicBoolean cancelled, SshTarget prefetched) {
        Optional<SshTarget> resolved;
        try {
            resolved = prefetched != null
                    ? Optional.of(prefetched)
                    : untilDatabaseAnswers(
                            "resolving the target",
                            () -> inventory.resolveTarget(run.tenantId(), run.hostName()),
                            cancelled);
        } catch (MissingJumpHostException e) {
            return RunResult.failedBeforeStart(RunState.UNREACHABLE, e.getMessage(), null, null, null);
        }
        if (resolved.isEmpty()) {
            return RunResult.failedBeforeStart(
                    RunState.FAILED, "host " + run.hostName() + " is no longer in the inventory", null, null, null);
        }
        SshTarget target = resolved.get().requestedBy(run.submittedBy());
        if (target.privateKey() == null) {
            return RunResult.failedBeforeStart(
                    RunState.AUTH_FAILED,
                    "host " + run.hostName() + " has no usable credential",
                    target.address(),
                    target.port(),
                    target.user());
        }
        if (run.kind().isFile()) {
            return performFile(run, target);
        }
        RunOutputCollector output = new RunOutputCollector(run, chunks, inFlightBytes, config.storedOutputLimit());
        ExecResult result;
        if (run.kind() == JobKind.PING) {
            result = runner.ping(target);
        } else {
            String input = run.request().input();
            Map<String, String> env =
                    run.request().env() == null ? Map.of() : run.request().env();
            result = runner.exec(
                    target,
                    new ExecSpec(
                            run.request().command(),
                            input == null ? new byte[0] : input.getBytes(StandardCharsets.UTF_8),
                            env,
                            run.timeout()),
                    output,
                    cancelled::get);
        }
        if (result.outcome() == SshOutcome.HOST_KEY_REJECTED) {
            untilDatabaseAnswers(
                    "recording the rejected host key",
                    () -> {
                        inventory.recordRejectedHostKey(
                                KnownHostGate.actor(target),
                                target.hostName(),
                                target.hostKeyPolicy().wire(),
                                result.error());
                        return null;
                    },
                    null);
        }
        String error = result.error();
        if (!output.awaitPublished(config.publishTimeout())) {
            error = (error == null ? "" : error + "; ") + "not every output chunk was acknowledged by Kafka";
            LOG.warnf("output of job %s on %s not fully published", run.jobId(), run.hostName());
        }
        return new RunResult(
                stateOf(result.outcome()),
                result.exitCode(),
                result.exitSignal(),
                error,
                target.address(),
                target.port(),
                target.user(),
                null,
                output.stdout(),
                output.stderr(),
                null);
    }

    /**
     * copy, update, fetch or delete over SFTP within the job's timeout. Artifact content streams from PostgreSQL to
     * the host chunk by chunk; a fetched file streams into the artifact store and its SHA-256 is kept with the run.
     */
    private RunResult performFile(ClaimedRun run, SshTarget target) {
        JobRequest.FileSpec file = run.request().file();
        boolean backup = Boolean.TRUE.equals(file.backup());
        String fetched = null;
        FileResult result;
        switch (run.kind()) {
            case COPY, UPDATE -> {
                FileContent content;
                String sha256 = null;
                if (file.artifact() != null) {
                    Optional<Artifact> artifact = database.call(() -> artifacts.find(run.tenantId(), file.artifact()));
                    if (artifact.isEmpty()) {
                        return RunResult.failedBeforeStart(
                                RunState.FAILED,
                                "artifact " + file.artifact() + " no longer exists",
                                target.address(),
                                target.port(),
                                target.user());
                    }
                    content = () -> database.input(artifacts.open(artifact.get()));
                    sha256 = artifact.get().sha256();
                } else {
                    content = FileContent.of(Base64.getDecoder().decode(file.content()));
                }
                FileSpec spec = new FileSpec(file.path(), content, sha256, file.mode(), backup, run.timeout());
                result = run.kind() == JobKind.COPY ? files.upload(target, spec) : files.update(target, spec);
            }
            case FETCH -> {
                ArtifactWriter out = artifacts.writer();
                try {
                    result = files.fetch(target, file.path(), database.output(out), run.timeout());
                    if (result.outcome() == SshOutcome.SUCCEEDED) {
                        fetched = database.call(() -> artifacts.register(run.tenantId(), null, out))
                                .artifact()
                                .sha256();
                    }
                } catch (IOException e) {
                    return new RunResult(
                            RunState.FAILED,
                            null,
                            null,
                            "cannot store the fetched file: " + e.getMessage(),
                            target.address(),
                            target.port(),
                            target.user(),
                            false,
                            RunResult.StoredStream.EMPTY,
                            RunResult.StoredStream.EMPTY,
                            null);
                } finally {
                    database.run(out::abort);
                }
            }
            case DELETE -> result = files.delete(target, file.path(), backup, run.timeout());
            default -> throw new IllegalArgumentException("not a file kind: " + run.kind());
        }
        ExecResult outcome = result.result();
        return new RunResult(
                stateOf(outcome.outcome()),
                null,
                null,
                outcome.error(),
                target.address(),
                target.port(),
                target.user(),
                result.changed(),
                RunResult.StoredStream.EMPTY,
                RunResult.StoredStream.EMPTY,
                fetched);
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String defaultId() {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (Exception e) {
            host = "worker";
        }
        byte[] suffix = new byte[3];
        ThreadLocalRandom.current().nextBytes(suffix);
        return host + "-" + HexFormat.of().formatHex(suffix);
    }

    /** The run state an SSH outcome ends a run in; exhaustive, so a new outcome cannot compile unmapped. */
    static RunState stateOf(SshOutcome outcome) {
        return switch (outcome) {
            case SUCCEEDED -> RunState.SUCCEEDED;
            case FAILED -> RunState.FAILED;
            case TIMED_OUT -> RunState.TIMED_OUT;
            case UNREACHABLE -> RunState.UNREACHABLE;
            case AUTH_FAILED -> RunState.AUTH_FAILED;
            case HOST_KEY_REJECTED -> RunState.HOST_KEY_REJECTED;
            case CANCELLED -> RunState.CANCELLED;
        };
    }
}
