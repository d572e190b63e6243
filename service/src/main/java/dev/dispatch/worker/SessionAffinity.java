package dev.dispatch.worker;

import dev.dispatch.DispatchConfig;
import dev.dispatch.ssh.SshSessionPool;
import dev.dispatch.ssh.SshSessionPool.HeldSession;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;
import java.util.Set;
import org.jboss.logging.Logger;

/**
 * Connection affinity: publishes which hosts this worker holds pooled SSH sessions to (as {@code ssh_session_hint}
 * rows), so that other workers leave a fresh job's runs on those hosts to it for {@code dispatch.worker.affinity-grace}
 * and total sessions stay near one per host rather than one per host per worker. See docs/design/distribution.md.
 */
@ApplicationScoped
public class SessionAffinity {
    private static final Logger LOG = Logger.getLogger(SessionAffinity.class);

    private final WorkerConfig config;
    private final boolean enabled;
    private final WorkerService worker;
    private final SshSessionPool pool;
    private final SessionHintService hints;
    private Set<HeldSession> published = Set.of();
    private int rounds;

    public SessionAffinity(
            WorkerConfig config,
            DispatchConfig dispatch,
            WorkerService worker,
            SshSessionPool pool,
            SessionHintService hints) {
        this.config = config;
        this.enabled = dispatch.role().runsWorker() && !config.affinityGrace().isZero();
        this.worker = worker;
        this.pool = pool;
        this.hints = hints;
    }

    /** How long a hint counts as true after its worker last refreshed it: three refresh intervals and a second. */
    static Duration freshness(WorkerConfig config) {
        return config.sessionHintInterval().multipliedBy(3).plusSeconds(1);
    }

    @Scheduled(
            every = "${dispatch.worker.session-hint-interval:2s}",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    synchronized void publish() {
        if (!enabled) {
            return;
        }
        try {
            Set<HeldSession> held = pool.heldSessions();
            if (!held.equals(published)) {
                hints.replace(worker.workerId(), held);
                published = held;
            } else if (!held.isEmpty()) {
                hints.touch(worker.workerId());
            }
            if (++rounds % 10 == 0) {
                hints.expire(freshness(config).multipliedBy(2));
            }
        } catch (RuntimeException e) {
            LOG.warnf("publishing session hints failed (affinity only, runs are unaffected): %s", e.getMessage());
        }
    }

    synchronized void stop(@Observes ShutdownEvent event) {
        if (!enabled || published.isEmpty()) {
            return;
        }
        try {
            hints.clear(worker.workerId());
        } catch (RuntimeException e) {
            LOG.debugf("clearing session hints on shutdown failed: %s", e.getMessage());
        }
    }
}
