package dev.dispatch.job;

import dev.dispatch.messaging.HostResultEvent;
import dev.dispatch.messaging.JobEvent;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.event.TransactionPhase;
import java.time.Duration;

/**
 * Counts jobs and host runs reaching a terminal state ({@code dispatch_jobs_total}, {@code dispatch_host_runs_total},
 * tagged {@code state} and {@code tenant}) and times host runs ({@code dispatch_host_run_duration_seconds}, tagged
 * {@code state}). Observes the lifecycle events only after their transaction committed, so rolled-back or dropped
 * results never count. Every run attempt counts once, also one that is then queued again under {@code retries}.
 * Thread-safe.
 */
@ApplicationScoped
public class JobMetrics {
    private static final Duration[] RUN_BUCKETS = {
        Duration.ofSeconds(1),
        Duration.ofSeconds(5),
        Duration.ofSeconds(30),
        Duration.ofMinutes(1),
        Duration.ofMinutes(5),
        Duration.ofMinutes(15),
        Duration.ofHours(1)
    };

    private final MeterRegistry registry;

    public JobMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    void onJobEvent(@Observes(during = TransactionPhase.AFTER_SUCCESS) JobEvent event) {
        if (!"finished".equals(event.type()) || event.state() == null) {
            return;
        }
        Counter.builder("dispatch.jobs")
                .description("Jobs that reached a terminal state")
                .tag("state", event.state().name())
                .tag("tenant", tagValue(event.tenant()))
                .register(registry)
                .increment();
    }

    void onHostResult(@Observes(during = TransactionPhase.AFTER_SUCCESS) HostResultEvent result) {
        if (result.state() == null || !result.state().isTerminal()) {
            return;
        }
        String state = result.state().name();
        Counter.builder("dispatch.host.runs")
                .description("Host runs that reached a terminal state")
                .tag("state", state)
                .tag("tenant", tagValue(result.tenant()))
                .register(registry)
                .increment();
        if (result.startedAt() != null && result.finishedAt() != null) {
            Timer.builder("dispatch.host.run.duration")
                    .description("Host run time from start to terminal state")
                    .tag("state", state)
                    .serviceLevelObjectives(RUN_BUCKETS)
                    .register(registry)
                    .record(Duration.between(result.startedAt(), result.finishedAt()));
        }
    }

    private static String tagValue(String tenant) {
        return tenant == null ? "none" : tenant;
    }
}
