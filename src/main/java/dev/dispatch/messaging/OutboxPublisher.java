package dev.dispatch.messaging;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.event.TransactionPhase;
import jakarta.persistence.EntityManager;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Emitter;
import org.eclipse.microprofile.reactive.messaging.OnOverflow;
import org.jboss.logging.Logger;

/**
 * Drains the {@code outbox} table to Kafka: host results on {@code dispatch.host-results.v1} (channel
 * {@code host-results}) and job events on {@code dispatch.job-events.v1} (channel {@code job-events}). Any process
 * drains, one at a time cluster-wide (advisory lock), in id order; rows are deleted only after the broker
 * acknowledged them, so delivery is at least once (consumers dedupe by job, host and attempt). Records the broker
 * refuses count in {@code dispatch_kafka_publish_failures_total{topic}}.
 */
@ApplicationScoped
public class OutboxPublisher {
    private static final Logger LOG = Logger.getLogger(OutboxPublisher.class);
    private static final int BATCH = 500;
    private static final long IDLE_POLL_MILLIS = 200;

    private final Emitter<String> hostResults;
    private final Emitter<String> jobEvents;
    private final EntityManager em;
    private final Counter hostResultFailures;
    private final Counter jobEventFailures;
    private final Semaphore wakeups = new Semaphore(0);
    private volatile boolean running;
    private Thread drainer;

    public OutboxPublisher(
            @Channel("host-results") @OnOverflow(OnOverflow.Strategy.UNBOUNDED_BUFFER) Emitter<String> hostResults,
            @Channel("job-events") @OnOverflow(OnOverflow.Strategy.UNBOUNDED_BUFFER) Emitter<String> jobEvents,
            EntityManager em, MeterRegistry metrics) {
        this.hostResults = hostResults;
        this.jobEvents = jobEvents;
        this.em = em;
        this.hostResultFailures = KafkaSend.failureCounter(metrics, Topics.HOST_RESULTS);
        this.jobEventFailures = KafkaSend.failureCounter(metrics, Topics.JOB_EVENTS);
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

    private void drainLoop() {
        long backoff = IDLE_POLL_MILLIS;
        while (running) {
            try {
                int sent = QuarkusTransaction.requiringNew().timeout(120).call(this::drainBatch);
                backoff = IDLE_POLL_MILLIS;
                if (sent < BATCH) {
                    wakeups.tryAcquire(IDLE_POLL_MILLIS, TimeUnit.MILLISECONDS);
                    wakeups.drainPermits();
                }
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                LOG.warnf("outbox not drained (%s); retrying in %d ms", e.getMessage(), backoff);
                sleep(backoff);
                backoff = Math.min(backoff * 2, 10_000);
            }
        }
    }

    /** Publishes up to one batch in id order and deletes it once acknowledged; 0 if another process drains. */
    @SuppressWarnings("unchecked")
    private int drainBatch() throws Exception {
        Boolean locked = (Boolean) em.createNativeQuery("select pg_try_advisory_xact_lock(hashtext('dispatch-outbox'))")
                .getSingleResult();
        if (!Boolean.TRUE.equals(locked)) {
            return 0;
        }
        List<Object[]> rows = em.createNativeQuery(
                "select id, topic, record_key, tenant_id, type, payload::text from outbox order by id limit :n")
                .setParameter("n", BATCH).getResultList();
        if (rows.isEmpty()) {
            return 0;
        }
        List<CompletableFuture<Void>> acks = new ArrayList<>(rows.size());
        for (Object[] row : rows) {
            boolean hostResult = Topics.HOST_RESULTS.equals(row[1]);
            acks.add(KafkaSend.counted(KafkaSend.send(hostResult ? hostResults : jobEvents, (String) row[5],
                    (String) row[2], (String) row[3], (String) row[4]),
                    hostResult ? hostResultFailures : jobEventFailures));
        }
        CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
        long lastId = ((Number) rows.get(rows.size() - 1)[0]).longValue();
        em.createNativeQuery("delete from outbox where id <= :last").setParameter("last", lastId).executeUpdate();
        return rows.size();
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
