package dev.dispatch.ssh;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.quarkus.scheduler.Scheduled;
import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.UnknownHostException;
import java.security.KeyPair;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.apache.sshd.client.SshClient;
import org.apache.sshd.client.auth.password.PasswordIdentityProvider;
import org.apache.sshd.client.auth.pubkey.UserAuthPublicKeyFactory;
import org.apache.sshd.client.config.hosts.HostConfigEntryResolver;
import org.apache.sshd.client.future.AuthFuture;
import org.apache.sshd.client.future.ConnectFuture;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.io.nio2.Nio2ServiceFactoryFactory;
import org.apache.sshd.common.keyprovider.KeyIdentityProvider;
import org.apache.sshd.common.util.threads.SshThreadPoolExecutor;
import org.apache.sshd.core.CoreModuleProperties;
import org.jboss.logging.Logger;

/**
 * The process's one {@link SshClient} and its pool of authenticated sessions, keyed by tenant, user, address, port,
 * credential and trusted host keys. One handshake per key at a time; channels share a session up to a limit; idle
 * sessions are closed. Thread-safe; callers on virtual threads may block.
 *
 * <p>Metrics: {@code dispatch_ssh_handshake_seconds} (connect, key exchange and authentication, tagged
 * {@code outcome}: {@code success}, {@code unreachable}, {@code auth_failed}, {@code host_key_rejected},
 * {@code interrupted}, {@code error}; waiting for a handshake slot is not included) and
 * {@code dispatch_ssh_pool_sessions} (pooled sessions open now).
 */
@ApplicationScoped
public class SshSessionPool {
    private static final Logger LOG = Logger.getLogger(SshSessionPool.class);

    private static final Duration[] HANDSHAKE_BUCKETS = {Duration.ofMillis(50), Duration.ofMillis(100),
            Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofMillis(2500),
            Duration.ofSeconds(5), Duration.ofSeconds(10)};

    private final SshConfig config;
    private final MeterRegistry metrics;
    private final Map<PoolKey, Entry> entries = new ConcurrentHashMap<>();
    private final Semaphore handshakes;
    private volatile SshClient client;

    public SshSessionPool(SshConfig config, MeterRegistry metrics) {
        this.config = config;
        this.metrics = metrics;
        this.handshakes = new Semaphore(config.maxConcurrentHandshakes(), true);
    }

    @PostConstruct
    void registerGauge() {
        Gauge.builder("dispatch.ssh.pool.sessions", this, SshSessionPool::openSessions)
                .description("Pooled SSH sessions currently open").register(metrics);
    }

    /** A session in use by one channel; {@link #close()} gives the slot back. */
    final class Lease implements AutoCloseable {
        private final Entry entry;
        private final ClientSession session;
        private boolean closed;

        private Lease(Entry entry, ClientSession session) {
            this.entry = entry;
            this.session = session;
        }

        ClientSession session() {
            return session;
        }

        /** Marks the session broken so the next lease reconnects. */
        void evict() {
            entry.lock.lock();
            try {
                if (entry.session == session) {
                    entry.session = null;
                }
            } finally {
                entry.lock.unlock();
            }
            session.close(true);
        }

        @Override
        public void close() {
            if (!closed) {
                closed = true;
                entry.lastUsed = System.nanoTime();
                entry.channels.release();
            }
        }
    }

    private record PoolKey(String tenantId, String user, String address, int port, String credential,
            String trust) {
    }

    /** A host this process holds an open pooled session to, by tenant and inventory name. */
    public record HeldSession(String tenantId, String hostName) {
    }

    private final class Entry {
        final ReentrantLock lock = new ReentrantLock();
        volatile String tenantId;
        volatile String hostName;
        final Semaphore channels = new Semaphore(config.maxChannelsPerSession(), true);
        volatile ClientSession session;
        volatile long lastUsed = System.nanoTime();
    }

    /**
     * Leases an authenticated session to the target, connecting if the pool has none open.
     *
     * @throws SshFailureException classified as UNREACHABLE, AUTH_FAILED or HOST_KEY_REJECTED
     */
    Lease lease(SshTarget target) throws SshFailureException, InterruptedException {
        PoolKey key = new PoolKey(target.tenantId(), target.user(), target.address(), target.port(),
                SshKeys.digest(target.privateKey(), target.passphrase()),
                SshKeys.digest(String.join("\n", target.trustedHostKeys()), "revoked",
                        String.join("\n", target.revokedHostKeys())));
        Entry entry = entries.computeIfAbsent(key, k -> new Entry());
        entry.channels.acquire();
        try {
            entry.lock.lockInterruptibly();
            try {
                ClientSession session = entry.session;
                if (session == null || !session.isOpen() || session.isClosing()) {
                    session = connect(target);
                    entry.session = session;
                    entry.tenantId = target.tenantId();
                    entry.hostName = target.hostName();
                }
                entry.lastUsed = System.nanoTime();
                return new Lease(entry, session);
            } finally {
                entry.lock.unlock();
            }
        } catch (SshFailureException | InterruptedException | RuntimeException e) {
            entry.channels.release();
            throw e;
        }
    }

    private ClientSession connect(SshTarget target) throws SshFailureException, InterruptedException {
        KeyPair identity;
        try {
            identity = SshKeys.keyPair(target.privateKey(), target.passphrase());
        } catch (InvalidKeyMaterialException e) {
            throw new SshFailureException(SshOutcome.AUTH_FAILED, "credential unusable: " + e.getMessage());
        }
        var check = new KnownHostsVerifier.HostKeyCheck(target.hostName(), Set.copyOf(target.trustedHostKeys()),
                Set.copyOf(target.revokedHostKeys()));
        long budget = config.connectTimeout().toMillis();
        long deadline = System.currentTimeMillis() + budget;
        if (!handshakes.tryAcquire(budget, TimeUnit.MILLISECONDS)) {
            throw new SshFailureException(SshOutcome.UNREACHABLE, "no handshake slot within " + budget + " ms");
        }
        ClientSession session = null;
        Timer.Sample handshake = Timer.start(metrics);
        String outcome = "interrupted";
        try {
            ConnectFuture connect = client().connect(target.user(), target.address(), target.port(),
                    check.asContext(), null);
            boolean connected;
            try {
                connected = connect.await(remaining(deadline));
            } catch (InterruptedIOException e) {
                connect.cancel();
                throw e;
            }
            if (!connected) {
                connect.cancel();
                throw new SshFailureException(SshOutcome.UNREACHABLE,
                        "connect to " + target.address() + ":" + target.port() + " timed out after " + budget + " ms");
            }
            if (!connect.isConnected()) {
                throw new SshFailureException(SshOutcome.UNREACHABLE, describe(connect.getException(), target));
            }
            session = connect.getSession();
            session.addPublicKeyIdentity(identity);
            AuthFuture auth = session.auth();
            boolean done = auth.await(remaining(deadline));
            if (done && auth.isSuccess()) {
                outcome = "success";
                return session;
            }
            String rejection = check.rejection.get();
            if (rejection != null) {
                throw new SshFailureException(SshOutcome.HOST_KEY_REJECTED, rejection);
            }
            if (!done) {
                throw new SshFailureException(SshOutcome.UNREACHABLE,
                        "handshake with " + target.address() + ":" + target.port() + " timed out after " + budget
                                + " ms");
            }
            if (session.getServerKey() != null && refused(auth.getException())) {
                throw new SshFailureException(SshOutcome.AUTH_FAILED,
                        "server refused public key authentication for user " + target.user());
            }
            // e.g. MINA's authentication timeout on a starved server: the key was never judged, so not AUTH_FAILED
            throw new SshFailureException(SshOutcome.UNREACHABLE, describe(auth.getException(), target));
        } catch (SshFailureException e) {
            outcome = e.outcome().name().toLowerCase(java.util.Locale.ROOT);
            if (session != null) {
                session.close(true);
            }
            throw e;
        } catch (InterruptedIOException e) {
            // MINA reports an interrupted wait as an IOException; it is a cancel, not an unreachable host.
            if (session != null) {
                session.close(true);
            }
            throw (InterruptedException) new InterruptedException("interrupted while connecting").initCause(e);
        } catch (IOException e) {
            outcome = "unreachable";
            if (session != null) {
                session.close(true);
            }
            throw new SshFailureException(SshOutcome.UNREACHABLE, describe(e, target));
        } catch (RuntimeException e) {
            outcome = "error";
            if (session != null) {
                session.close(true);
            }
            throw e;
        } finally {
            handshakes.release();
            handshake.stop(Timer.builder("dispatch.ssh.handshake")
                    .description("SSH connect, key exchange and authentication").tag("outcome", outcome)
                    .serviceLevelObjectives(HANDSHAKE_BUCKETS).register(metrics));
        }
    }

    private static long remaining(long deadline) {
        return Math.max(1, deadline - System.currentTimeMillis());
    }

    private static String describe(Throwable e, SshTarget target) {
        Throwable root = e;
        while (root != null && root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String where = target.address() + ":" + target.port();
        if (root instanceof ConnectException) {
            return "connection refused by " + where;
        }
        if (root instanceof UnknownHostException) {
            return "unknown host " + target.address();
        }
        if (root instanceof NoRouteToHostException) {
            return "no route to " + where;
        }
        return "cannot connect to " + where + ": " + (root == null ? "unknown error" : root.getMessage());
    }

    /** True when authentication ended because the server turned down every method we offered. */
    private static boolean refused(Throwable failure) {
        return failure == null || String.valueOf(failure.getMessage()).contains("No more authentication methods");
    }

    private SshClient client() {
        SshClient c = client;
        if (c == null) {
            synchronized (this) {
                c = client;
                if (c == null) {
                    c = createClient();
                    client = c;
                }
            }
        }
        return c;
    }

    private SshClient createClient() {
        SshClient c = SshClient.setUpDefaultClient();
        c.setServerKeyVerifier(new KnownHostsVerifier());
        c.setHostConfigEntryResolver(HostConfigEntryResolver.EMPTY);
        c.setKeyIdentityProvider(KeyIdentityProvider.EMPTY_KEYS_PROVIDER);
        c.setPasswordIdentityProvider(PasswordIdentityProvider.EMPTY_PASSWORDS_PROVIDER);
        c.setUserAuthFactories(List.of(UserAuthPublicKeyFactory.INSTANCE));
        CoreModuleProperties.HEARTBEAT_INTERVAL.set(c, config.heartbeatInterval());
        CoreModuleProperties.HEARTBEAT_NO_REPLY_MAX.set(c, 4);
        CoreModuleProperties.IDLE_TIMEOUT.set(c, Duration.ZERO);
        CoreModuleProperties.AUTH_TIMEOUT.set(c, config.connectTimeout());
        int nioWorkers = config.nioWorkers() > 0 ? config.nioWorkers()
                : CoreModuleProperties.NIO_WORKERS.getRequiredDefault();
        CoreModuleProperties.NIO_WORKERS.set(c, nioWorkers);
        c.setIoServiceFactoryFactory(new Nio2ServiceFactoryFactory(() -> new SshThreadPoolExecutor(nioWorkers,
                nioWorkers, 0L, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(), new LogContextFreeThreads("ssh-nio"))));
        c.setScheduledExecutorService(new ScheduledThreadPoolExecutor(1, new LogContextFreeThreads("ssh-timer")), true);
        c.start();
        LOG.info("SSH client started");
        return c;
    }

    /** Closes sessions that have had no lease for longer than the idle timeout. */
    @Scheduled(every = "30s", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void closeIdle() {
        long cutoff = System.nanoTime() - config.idleTimeout().toNanos();
        entries.entrySet().removeIf(e -> {
            Entry entry = e.getValue();
            if (entry.lastUsed > cutoff || !entry.lock.tryLock()) {
                return false;
            }
            try {
                if (entry.channels.availablePermits() != config.maxChannelsPerSession()) {
                    return false;
                }
                if (entry.session != null) {
                    entry.session.close(false);
                }
                return true;
            } finally {
                entry.lock.unlock();
            }
        });
    }

    /** The hosts this process holds open pooled sessions to (for connection affinity). */
    public Set<HeldSession> heldSessions() {
        Set<HeldSession> held = new java.util.HashSet<>();
        for (Entry e : entries.values()) {
            ClientSession session = e.session;
            if (session != null && session.isOpen() && e.hostName != null) {
                held.add(new HeldSession(e.tenantId, e.hostName));
            }
        }
        return held;
    }

    /** Number of pooled sessions currently open. */
    public int openSessions() {
        return (int) entries.values().stream().filter(e -> e.session != null && e.session.isOpen()).count();
    }

    @PreDestroy
    void stop() {
        SshClient c = client;
        if (c != null) {
            entries.values().forEach(e -> {
                if (e.session != null) {
                    e.session.close(true);
                }
            });
            c.stop();
        }
    }
}
