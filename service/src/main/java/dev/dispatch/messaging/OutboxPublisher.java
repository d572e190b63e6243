package dev.dispatch.messaging;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.event.TransactionPhase;
import jakarta.persistence.EntityManager;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Emitter;
import org.eclipse.microprofile.reactive.messaging.OnOverflow;
import org.jboss.logging.Logger;

/**
 * Drains the {@code outbox} table to Kafka: host results on {@code dispatch.host-results.v1} (channel
 * {@code host-results}), job events on {@code dispatch.job-events.v1} (channel {@code job-events}) and audit
 * checkpoints on {@code dispatch.audit-checkpoints.v1} (channel {@code audit-checkpoints}).
 *
 * <p>Any process drains, one at a time cluster-wide (a transaction-scoped advisory lock, held across the wait for
 * acknowledgements; the other processes skip their turn meanwhile). A batch is sent in id order and then exactly
 * the ids the broker acknowledged are deleted, never a range: ids are allocated at insert but transactions commit
 * in any order, so a row with a lower id may become visible after a higher one was read. Delivery is at least once
 * (consumers dedupe by job, host and attempt).
 *
 * <p>Failures are classified per record ({@link PublishFailure}). A record the broker refuses for good (too large,
 * invalid, not serialisable) is parked: {@code parked_at} and {@code park_reason} are set, the drain skips it from
 * then on, {@code dispatch_outbox_parked_total{topic}} counts it and one WARN names its id, topic and reason (never
 * its payload); {@code dispatch_outbox_parked_rows} shows how many rows are parked now. Any other failure (broker
 * down, timeout, producer closing) keeps the row for a later drain while the acknowledged rows of the same batch are
 * still deleted. A record still awaiting its acknowledgement when the bounded wait ends is not sent again by the next
 * drain; its outcome is picked up there.
 *
 * <p>Order: records are sent in id order and the idempotent producer keeps that order per partition, but a record
 * that failed transiently is re-sent after later records that were acknowledged, so a consumer can see a job's
 * {@code finished} event or a host result before an earlier record of the same key. Consumers already tolerate this
 * (they dedupe by job, host and attempt and must accept at-least-once redelivery anyway).
 */
@ApplicationScoped
public class OutboxPublisher {
    private static final Logger LOG = Logger.getLogger(OutboxPublisher.class);
    private static final int BATCH = 500;
    private static final long IDLE_POLL_MILLIS = 200;
    private static final long MAX_BACKOFF_MILLIS = 10_000;
    private static final int TX_TIMEOUT_SECONDS = 120;
    /** Well inside {@link #TX_TIMEOUT_SECONDS}, leaving room for the select, the parking and the delete. */
    private static final long ACK_WAIT_MILLIS = 60_000;

    private static final long ACK_POLL_MILLIS = 250;
    private static final long GAUGE_REFRESH_MILLIS = 5_000;

    private final Emitter<String> hostResults;
    private final Emitter<String> jobEvents;
    private final Emitter<String> auditCheckpoints;
    private final EntityManager em;
    private final Counter hostResultFailures;
    private final Counter jobEventFailures;
    private final Counter auditCheckpointFailures;
    private final Map<String, Counter> parkedByTopic = new HashMap<>();
    private final AtomicLong parkedRows = new AtomicLong();
    private final MeterRegistry metrics;
    private final Semaphore wakeups = new Semaphore(0);
    /** Sends of earlier drains still awaiting the broker, by outbox id; touched by the drainer thread only. */
    private final Map<Long, CompletableFuture<Void>> inFlight = new HashMap<>();

    private volatile boolean running;
    private Thread drainer;
    private long gaugeRefreshedAt;

    public OutboxPublisher(
            @Channel("host-results") @OnOverflow(OnOverflow.Strategy.UNBOUNDED_BUFFER) Emitter<String> hostResults,
            @Channel("job-events") @OnOverflow(OnOverflow.Strategy.UNBOUNDED_BUFFER) Emitter<String> jobEvents,
            @Channel("audit-checkpoints") @OnOverflow(OnOverflow.Strategy.UNBOUNDED_BUFFER)
                    Emitter<String> auditCheckpoints,
            EntityManager em,
            MeterRegistry metrics) {
        this.hostResults = hostResults;
        this.jobEvents = jobEvents;
        this.auditCheckpoints = auditCheckpoints;
        this.em = em;
        this.metrics = metrics;
        this.hostResultFailures = KafkaSend.failureCounter(metrics, Topics.HOST_RESULTS);
        this.jobEventFailures = KafkaSend.failureCounter(metrics, Topics.JOB_EVENTS);
        this.auditCheckpointFailures = KafkaSend.failureCounter(metrics, Topics.AUDIT_CHECKPOINTS);
        parkedCounter(Topics.HOST_RESULTS);
        parkedCounter(Topics.JOB_EVENTS);
        parkedCounter(Topics.AUDIT_CHECKPOINTS);
        Gauge.builder("dispatch.outbox.parked.rows", parkedRows, AtomicLong::get)
                .description("outbox rows parked now because the broker refused them (all processes see the same)")
                .register(metrics);
    }

    void start(@Observes StartupEvent event) {
        running = true;
        drainer = Thread.ofPlatform().name("dispatch-outbox").daemon().start(this::drainLoop);
    }

    void stop(@Observes ShutdownEvent event) throws InterruptedException {
        running = false;
        wakeups.release();
        if (drainer != null) {
            drainer.join(10_000);
        }
    }

    void afterHostResult(@Observes(during = TransactionPhase.AFTER_SUCCESS) HostResultEvent result) {
        wakeups.release();
    }

    void afterJobEvent(@Observes(during = TransactionPhase.AFTER_SUCCESS) JobEvent event) {
        wakeups.release();
    }

    void afterAuditCheckpoint(@Observes(during = TransactionPhase.AFTER_SUCCESS) AuditCheckpointEvent checkpoint) {
        wakeups.release();
    }

    private void drainLoop() {
        long backoff = IDLE_POLL_MILLIS;
        while (running) {
            try {
                Drain drain = QuarkusTransaction.requiringNew()
                        .timeout(TX_TIMEOUT_SECONDS)
                        .call(this::drainBatch);
                refreshParkedGauge(drain.parked() > 0);
                if (drain.retryLater() > 0) {
                    LOG.debugf(
                            "outbox: %d of %d records not acknowledged; retrying in %d ms",
                            drain.retryLater(), drain.read(), backoff);
                    sleep(backoff);
                    backoff = Math.min(backoff * 2, MAX_BACKOFF_MILLIS);
                    continue;
                }
                backoff = IDLE_POLL_MILLIS;
                if (drain.read() < BATCH) {
                    wakeups.tryAcquire(IDLE_POLL_MILLIS, TimeUnit.MILLISECONDS);
                    wakeups.drainPermits();
                }
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                LOG.warnf("outbox not drained (%s); retrying in %d ms", e.getMessage(), backoff);
                sleep(backoff);
                backoff = Math.min(backoff * 2, MAX_BACKOFF_MILLIS);
            }
        }
    }

    /**
     * Publishes up to one batch of unparked rows in id order, deletes the acknowledged ones and parks the refused
     * ones; reads nothing if another process drains.
     */
    @SuppressWarnings("unchecked")
    private Drain drainBatch() throws InterruptedException {
        Boolean locked = (Boolean) em.createNativeQuery("select pg_try_advisory_xact_lock(hashtext('dispatch-outbox'))")
                .getSingleResult();
        if (!Boolean.TRUE.equals(locked)) {
            return Drain.NOTHING;
        }
        List<Object[]> rows = em.createNativeQuery("select id, topic, record_key, tenant_id, type, payload::text"
                        + " from outbox where parked_at is null order by id limit :n")
                .setParameter("n", BATCH)
                .getResultList();
        if (rows.isEmpty()) {
            inFlight.clear();
            return Drain.NOTHING;
        }
        List<CompletableFuture<Void>> acks = new ArrayList<>(rows.size());
        for (Object[] row : rows) {
            long id = ((Number) row[0]).longValue();
            CompletableFuture<Void> earlier = inFlight.remove(id);
            acks.add(
                    earlier != null
                            ? earlier
                            : send((String) row[1], (String) row[5], (String) row[2], (String) row[3], (String)
                                    row[4]));
        }
        // Futures of rows that left the batch (drained by another process, or pushed out) are of no use any more.
        inFlight.clear();
        awaitAcks(acks);
        List<Long> acked = new ArrayList<>(rows.size());
        int parked = 0;
        int retryLater = 0;
        for (int i = 0; i < rows.size(); i++) {
            long id = ((Number) rows.get(i)[0]).longValue();
            CompletableFuture<Void> ack = acks.get(i);
            if (!ack.isDone()) {
                inFlight.put(id, ack);
                retryLater++;
            } else if (!ack.isCompletedExceptionally()) {
                acked.add(id);
            } else {
                Throwable failure = ack.exceptionNow();
                if (PublishFailure.isRefusal(failure)) {
                    park(id, (String) rows.get(i)[1], PublishFailure.describe(failure));
                    parked++;
                } else {
                    retryLater++;
                }
            }
        }
        if (!acked.isEmpty()) {
            em.createNativeQuery("delete from outbox where id = any(:acked)")
                    .setParameter("acked", acked.toArray(Long[]::new))
                    .executeUpdate();
        }
        return new Drain(rows.size(), parked, retryLater);
    }

    private CompletableFuture<Void> send(String topic, String payload, String key, String tenant, String type) {
        if (Topics.AUDIT_CHECKPOINTS.equals(topic)) {
            return KafkaSend.counted(
                    KafkaSend.send(auditCheckpoints, payload, key, tenant, type), auditCheckpointFailures);
        }
        boolean hostResult = Topics.HOST_RESULTS.equals(topic);
        return KafkaSend.counted(
                KafkaSend.send(hostResult ? hostResults : jobEvents, payload, key, tenant, type),
                hostResult ? hostResultFailures : jobEventFailures);
    }

    /** Waits until every ack is in, {@link #ACK_WAIT_MILLIS} passed or the application stops, whichever is first. */
    private void awaitAcks(List<CompletableFuture<Void>> acks) throws InterruptedException {
        CompletableFuture<Void> all = CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new));
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ACK_WAIT_MILLIS);
        while (!all.isDone()) {
            long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
            if (left <= 0 || !running) {
                return;
            }
            try {
                all.get(Math.min(left, ACK_POLL_MILLIS), TimeUnit.MILLISECONDS);
            } catch (ExecutionException | TimeoutException e) {
                // a failure surfaces only once every ack is in; the caller looks at each future itself
            }
        }
    }

    private void park(long id, String topic, String reason) {
        em.createNativeQuery("update outbox set parked_at = now(), park_reason = :reason where id = :id")
                .setParameter("reason", reason)
                .setParameter("id", id)
                .executeUpdate();
        parkedCounter(topic).increment();
        LOG.warnf(
                "outbox row %d for %s parked, the broker refused it: %s (fix the cause, then"
                        + " `update outbox set parked_at = null where id = %d` replays it)",
                id, topic, reason, id);
    }

    private Counter parkedCounter(String topic) {
        return parkedByTopic.computeIfAbsent(
                topic,
                t -> Counter.builder("dispatch.outbox.parked")
                        .description("outbox rows parked because the broker refused them for good")
                        .tag("topic", t)
                        .register(metrics));
    }

    /** Counts parked rows right after this process parked one, else at most every {@link #GAUGE_REFRESH_MILLIS}. */
    private void refreshParkedGauge(boolean now) {
        long at = System.currentTimeMillis();
        if (!now && at - gaugeRefreshedAt < GAUGE_REFRESH_MILLIS) {
            return;
        }
        gaugeRefreshedAt = at;
        try {
            Number count = QuarkusTransaction.requiringNew()
                    .call(() -> (Number) em.createNativeQuery("select count(*) from outbox where parked_at is not null")
                            .getSingleResult());
            parkedRows.set(count.longValue());
        } catch (RuntimeException e) {
            LOG.debugf("parked outbox rows not counted: %s", e.getMessage());
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** What one drain did: rows read, rows parked, rows left for a later drain (failed or not yet acknowledged). */
    private record Drain(int read, int parked, int retryLater) {
        static final Drain NOTHING = new Drain(0, 0, 0);
    }
}
