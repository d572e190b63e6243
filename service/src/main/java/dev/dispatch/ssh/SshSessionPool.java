package dev.dispatch.ssh;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.quarkus.scheduler.Scheduled;
import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.UnknownHostException;
import java.security.KeyPair;
import java.security.PublicKey;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
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
import org.apache.sshd.client.session.forward.ExplicitPortForwardingTracker;
import org.apache.sshd.common.SshConstants;
import org.apache.sshd.common.SshException;
import org.apache.sshd.common.config.keys.OpenSshCertificate;
import org.apache.sshd.common.io.nio2.Nio2ServiceFactoryFactory;
import org.apache.sshd.common.keyprovider.KeyIdentityProvider;
import org.apache.sshd.common.util.net.SshdSocketAddress;
import org.apache.sshd.common.util.threads.SshThreadPoolExecutor;
import org.apache.sshd.core.CoreModuleProperties;
import org.jboss.logging.Logger;

/**
 * The process's one {@link SshClient} and its pool of authenticated sessions, keyed by tenant, user, address, port,
 * credential, trusted host keys, host key policy and jump chain. A target with jump hosts gets its own chain of jump
 * sessions (each hop strictly checked and authenticated with its own credential), closed with the target's session.
 * One handshake per key at a time; channels share a session up to a limit; idle sessions are closed. Thread-safe;
 * callers on virtual threads may block.
 *
 * <p>Metrics: {@code dispatch_ssh_handshake_seconds} (connect, key exchange and authentication, tagged
 * {@code outcome}: {@code success}, {@code unreachable}, {@code auth_failed}, {@code host_key_rejected},
 * {@code interrupted}, {@code error}; waiting for a handshake slot is not included) and
 * {@code dispatch_ssh_pool_sessions} (pooled sessions open now), {@code dispatch_ssh_pool_leases_total} ({@code result}:
 * {@code hit} reused an open session, {@code miss} had to connect) and {@code dispatch_ssh_pool_evictions_total}
 * ({@code reason}: {@code broken} found dead in use, {@code closed} found closed at lease, {@code idle} idle timeout).
 */
@ApplicationScoped
public class SshSessionPool {
    private static final Logger LOG = Logger.getLogger(SshSessionPool.class);

    private static final Duration[] HANDSHAKE_BUCKETS = {
        Duration.ofMillis(50),
        Duration.ofMillis(100),
        Duration.ofMillis(250),
        Duration.ofMillis(500),
        Duration.ofSeconds(1),
        Duration.ofMillis(2500),
        Duration.ofSeconds(5),
        Duration.ofSeconds(10)
    };

    private final SshConfig config;
    private final MeterRegistry metrics;
    private final Counter leaseHits;
    private final Counter leaseMisses;
    private final Counter brokenEvictions;
    private final Counter closedEvictions;
    private final Counter idleEvictions;
    private final HostKeyGate gate;
    private final Map<PoolKey, Entry> entries = new ConcurrentHashMap<>();
    private final Semaphore handshakes;
    private volatile SshClient client;

    /** A pool that stores no first keys and audits nothing ({@link HostKeyGate#NONE}), for tests outside CDI. */
    public SshSessionPool(SshConfig config, MeterRegistry metrics) {
        this(config, metrics, HostKeyGate.NONE);
    }

    @Inject
    public SshSessionPool(SshConfig config, MeterRegistry metrics, HostKeyGate gate) {
        this.config = config;
        this.metrics = metrics;
        this.gate = gate;
        this.handshakes = new Semaphore(config.maxConcurrentHandshakes(), true);
        // Registered once (lease is on every command's path), and so exported at 0 before the first lease.
        this.leaseHits = metrics.counter("dispatch.ssh.pool.leases", "result", "hit");
        this.leaseMisses = metrics.counter("dispatch.ssh.pool.leases", "result", "miss");
        this.brokenEvictions = metrics.counter("dispatch.ssh.pool.evictions", "reason", "broken");
        this.closedEvictions = metrics.counter("dispatch.ssh.pool.evictions", "reason", "closed");
        this.idleEvictions = metrics.counter("dispatch.ssh.pool.evictions", "reason", "idle");
    }

    @PostConstruct
    void registerGauge() {
        Gauge.builder("dispatch.ssh.pool.sessions", this, SshSessionPool::openSessions)
                .description("Pooled SSH sessions currently open")
                .register(metrics);
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

        /**
         * The server refused to open a channel on this live session. With sibling channels in use that is its
         * channel limit (OpenSSH's {@code MaxSessions}): the entry's limit is lowered to the siblings in use, so the
         * caller may give this lease back and lease again, which waits for a sibling to close. Without siblings the
         * session is useless and the caller should evict it.
         *
         * @return true when siblings hold channels and the limit was lowered (or already as low)
         */
        boolean channelRefused() {
            entry.lock.lock();
            try {
                int siblings = entry.limit - entry.channels.availablePermits() - 1;
                if (siblings <= 0) {
                    return false;
                }
                if (siblings < entry.limit) {
                    LOG.infof(
                            "%s refused a channel with %d open; using at most %d channels on its sessions",
                            entry.hostName, siblings, siblings);
                    entry.channels.reduce(entry.limit - siblings);
                    entry.limit = siblings;
                }
                return true;
            } finally {
                entry.lock.unlock();
            }
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
            brokenEvictions.increment();
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

    private record PoolKey(String tenantId, String user, String address, int port, String credential, String trust) {}

    /** A host this process holds an open pooled session to, by tenant and inventory name. */
    public record HeldSession(String tenantId, String hostName) {}

    private final class Entry {
        final ReentrantLock lock = new ReentrantLock();
        volatile String tenantId;
        volatile String hostName;
        final ShrinkableSemaphore channels = new ShrinkableSemaphore(config.maxChannelsPerSession());
        /** Channels at once on this entry's session: the configured limit, or lower once the server refused one. */
        volatile int limit = config.maxChannelsPerSession();

        volatile ClientSession session;
        volatile long lastUsed = System.nanoTime();
    }

    /** A fair semaphore whose permits can be taken away for good. */
    private static final class ShrinkableSemaphore extends Semaphore {
        ShrinkableSemaphore(int permits) {
            super(permits, true);
        }

        void reduce(int permits) {
            reducePermits(permits);
        }
    }

    /**
     * Leases an authenticated session to the target, connecting (through its jump hosts, if any) if the pool has
     * none open. Under policy {@code off} each lease is reported to the {@link HostKeyGate} as one unverified use.
     *
     * @throws SshFailureException classified as UNREACHABLE, AUTH_FAILED or HOST_KEY_REJECTED
     */
    Lease lease(SshTarget target) throws SshFailureException, InterruptedException {
        if (target.hostKeyPolicy() == HostKeyPolicy.OFF_FORBIDDEN) {
            throw new SshFailureException(
                    SshOutcome.HOST_KEY_REJECTED,
                    "host key policy 'off' of host " + target.hostName()
                            + " is not allowed: the tenant's admin has not enabled allowHostKeyPolicyOff");
        }
        PoolKey key = new PoolKey(
                target.tenantId(),
                target.user(),
                target.address(),
                target.port(),
                SshKeys.digest(target.privateKey(), target.passphrase()),
                trustDigest(target));
        Entry entry;
        while (true) {
            entry = entries.computeIfAbsent(key, k -> new Entry());
            entry.channels.acquire();
            try {
                entry.lock.lockInterruptibly();
            } catch (InterruptedException e) {
                entry.channels.release();
                throw e;
            }
            // closeIdle removes entries under their lock; one removed between computeIfAbsent and here is dead.
            if (entries.get(key) == entry) {
                break;
            }
            entry.lock.unlock();
            entry.channels.release();
        }
        Lease lease;
        try {
            try {
                ClientSession session = entry.session;
                boolean reused = session != null && session.isOpen() && !session.isClosing();
                (reused ? leaseHits : leaseMisses).increment();
                if (!reused) {
                    if (session != null) {
                        closedEvictions.increment();
                    }
                    session = connect(target);
                    entry.session = session;
                    entry.tenantId = target.tenantId();
                    entry.hostName = target.hostName();
                }
                entry.lastUsed = System.nanoTime();
                lease = new Lease(entry, session);
            } finally {
                entry.lock.unlock();
            }
        } catch (SshFailureException | InterruptedException | RuntimeException e) {
            entry.channels.release();
            throw e;
        }
        if (target.hostKeyPolicy() == HostKeyPolicy.OFF) {
            try {
                gate.unverifiedUse(
                        target, SshKeys.fingerprint(plainKey(lease.session().getServerKey())));
            } catch (RuntimeException e) {
                lease.close();
                throw e;
            }
        }
        return lease;
    }

    /** Everything that decides whether a pooled session may serve the target, besides login and credential. */
    private static String trustDigest(SshTarget target) {
        StringBuilder jumps = new StringBuilder();
        for (SshTarget hop : target.jumps()) {
            jumps.append(hop.user())
                    .append('@')
                    .append(hop.address())
                    .append(':')
                    .append(hop.port())
                    .append('/')
                    .append(SshKeys.digest(hop.privateKey(), hop.passphrase()))
                    .append('/')
                    .append(trustDigest(hop))
                    .append(',');
        }
        return SshKeys.digest(
                String.join("\n", target.trustedHostKeys()),
                "revoked",
                String.join("\n", target.revokedHostKeys()),
                "ca",
                String.join("\n", target.certAuthorities()),
                target.hostKeyPolicy().name(),
                "jumps",
                jumps.toString());
    }

    private static PublicKey plainKey(PublicKey key) {
        return key instanceof OpenSshCertificate certificate ? certificate.getCertPubKey() : key;
    }

    /** Connects and authenticates the target through its jump hosts; jump sessions close with the target's. */
    private ClientSession connect(SshTarget target) throws SshFailureException, InterruptedException {
        long budget = config.connectTimeout().toMillis() * (1 + target.jumps().size());
        long deadline = System.currentTimeMillis() + budget;
        if (!handshakes.tryAcquire(config.connectTimeout().toMillis(), TimeUnit.MILLISECONDS)) {
            throw new SshFailureException(
                    SshOutcome.UNREACHABLE,
                    "no handshake slot within " + config.connectTimeout().toMillis() + " ms");
        }
        Timer.Sample handshake = Timer.start(metrics);
        String outcome = "interrupted";
        List<ClientSession> hops = new ArrayList<>();
        try {
            ClientSession via = null;
            String viaName = null;
            for (SshTarget jump : target.jumps()) {
                SshTarget hop = jump.withHostKeyPolicy(HostKeyPolicy.STRICT).withJumps(List.of());
                via = connectHop(hop, via, viaName, deadline, "jump host " + hop.hostName() + ": ");
                hops.add(via);
                viaName = hop.hostName();
            }
            ClientSession session = connectHop(target, via, viaName, deadline, "");
            if (!hops.isEmpty()) {
                List<ClientSession> chain = List.copyOf(hops);
                session.addCloseFutureListener(f -> closeAll(chain));
            }
            outcome = "success";
            return session;
        } catch (SshFailureException e) {
            outcome = e.outcome().name().toLowerCase(Locale.ROOT);
            closeAll(hops);
            throw e;
        } catch (InterruptedException e) {
            closeAll(hops);
            throw e;
        } catch (RuntimeException e) {
            outcome = "error";
            closeAll(hops);
            throw e;
        } finally {
            handshakes.release();
            handshake.stop(Timer.builder("dispatch.ssh.handshake")
                    .description("SSH connect, key exchange and authentication")
                    .tag("outcome", outcome)
                    .serviceLevelObjectives(HANDSHAKE_BUCKETS)
                    .register(metrics));
        }
    }

    private static void closeAll(List<ClientSession> sessions) {
        for (int i = sessions.size() - 1; i >= 0; i--) {
            sessions.get(i).close(true);
        }
    }

    /**
     * One hop: a TCP connection to the target (or, with {@code via}, a direct-tcpip forward through that session to
     * the target's address as the jump host resolves it), key exchange, host key check and authentication.
     */
    private ClientSession connectHop(SshTarget target, ClientSession via, String viaName, long deadline, String prefix)
            throws SshFailureException, InterruptedException {
        KeyPair identity;
        try {
            identity = SshKeys.keyPair(target.privateKey(), target.passphrase());
        } catch (InvalidKeyMaterialException e) {
            throw new SshFailureException(SshOutcome.AUTH_FAILED, prefix + "credential unusable: " + e.getMessage());
        }
        var check = new KnownHostsVerifier.HostKeyCheck(
                target.hostName(),
                Set.copyOf(target.trustedHostKeys()),
                Set.copyOf(target.revokedHostKeys()),
                Set.copyOf(target.certAuthorities()),
                target.hostKeyPolicy());
        String where = target.address() + ":" + target.port() + (via == null ? "" : " through jump host " + viaName);
        ClientSession session = null;
        try {
            String address = target.address();
            int port = target.port();
            if (via != null) {
                // The jump host resolves and connects to the target; the local end listens on loopback only.
                ExplicitPortForwardingTracker forward = via.createLocalPortForwardingTracker(
                        new SshdSocketAddress("127.0.0.1", 0), new SshdSocketAddress(target.address(), target.port()));
                address = forward.getBoundAddress().getHostName();
                port = forward.getBoundAddress().getPort();
            }
            ConnectFuture connect = client().connect(target.user(), address, port, check.asContext(), null);
            boolean connected;
            try {
                connected = connect.await(remaining(deadline));
            } catch (InterruptedIOException e) {
                connect.cancel();
                throw e;
            }
            if (!connected) {
                connect.cancel();
                throw new SshFailureException(
                        SshOutcome.UNREACHABLE,
                        prefix + "connect to " + where + " timed out after "
                                + config.connectTimeout().toMillis() + " ms");
            }
            if (!connect.isConnected()) {
                throw new SshFailureException(
                        SshOutcome.UNREACHABLE, prefix + describe(connect.getException(), target, where));
            }
            session = connect.getSession();
            session.addPublicKeyIdentity(identity);
            AuthFuture auth = session.auth();
            boolean done = auth.await(remaining(deadline));
            if (done && auth.isSuccess()) {
                String untrusted = check.untrustedKey.get();
                if (untrusted != null && target.hostKeyPolicy() == HostKeyPolicy.ACCEPT_NEW) {
                    String fingerprint = SshKeys.fingerprint(plainKey(session.getServerKey()));
                    if (!gate.acceptFirstKey(target, untrusted, fingerprint)) {
                        throw new SshFailureException(
                                SshOutcome.HOST_KEY_REJECTED,
                                "host " + target.hostName() + " presented " + fingerprint
                                        + ", but another key was stored for it meanwhile");
                    }
                }
                return session;
            }
            String rejection = check.rejection.get();
            if (rejection != null) {
                throw new SshFailureException(SshOutcome.HOST_KEY_REJECTED, prefix + rejection);
            }
            if (!done) {
                throw new SshFailureException(
                        SshOutcome.UNREACHABLE,
                        prefix + "handshake with " + where + " timed out after "
                                + config.connectTimeout().toMillis() + " ms");
            }
            if (session.getServerKey() != null && refused(auth.getException())) {
                throw new SshFailureException(
                        SshOutcome.AUTH_FAILED,
                        prefix + "server refused public key authentication for user " + target.user());
            }
            // e.g. MINA's authentication timeout on a starved server: the key was never judged, so not AUTH_FAILED
            throw new SshFailureException(
                    SshOutcome.UNREACHABLE, prefix + describe(auth.getException(), target, where));
        } catch (SshFailureException | RuntimeException e) {
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
            if (session != null) {
                session.close(true);
            }
            throw new SshFailureException(SshOutcome.UNREACHABLE, prefix + describe(e, target, where));
        }
    }

    private static long remaining(long deadline) {
        return Math.max(1, deadline - System.currentTimeMillis());
    }

    private static String describe(Throwable e, SshTarget target, String where) {
        Throwable root = e;
        while (root != null && root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
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

    /**
     * True when authentication ended because the server turned down every method we offered: MINA fails the auth
     * future with the disconnect reason {@code SSH2_DISCONNECT_NO_MORE_AUTH_METHODS_AVAILABLE} (RFC 4253, 11.1).
     */
    private static boolean refused(Throwable failure) {
        return failure == null
                || failure instanceof SshException e
                        && e.getDisconnectCode() == SshConstants.SSH2_DISCONNECT_NO_MORE_AUTH_METHODS_AVAILABLE;
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
        c.addSessionListener(new KnownHostsVerifier.AlgorithmOrder());
        c.setHostConfigEntryResolver(HostConfigEntryResolver.EMPTY);
        c.setKeyIdentityProvider(KeyIdentityProvider.EMPTY_KEYS_PROVIDER);
        c.setPasswordIdentityProvider(PasswordIdentityProvider.EMPTY_PASSWORDS_PROVIDER);
        c.setUserAuthFactories(List.of(UserAuthPublicKeyFactory.INSTANCE));
        CoreModuleProperties.HEARTBEAT_INTERVAL.set(c, config.heartbeatInterval());
        CoreModuleProperties.HEARTBEAT_NO_REPLY_MAX.set(c, 4);
        CoreModuleProperties.IDLE_TIMEOUT.set(c, Duration.ZERO);
        CoreModuleProperties.AUTH_TIMEOUT.set(c, config.connectTimeout());
        // As OpenSSH does: a host certificate that is invalid here (e.g. its principals do not name the address
        // connected to, as through a jump host's forward) is ignored and its plain key checked instead.
        CoreModuleProperties.ABORT_ON_INVALID_CERTIFICATE.set(c, false);
        int nioWorkers =
                config.nioWorkers() > 0 ? config.nioWorkers() : CoreModuleProperties.NIO_WORKERS.getRequiredDefault();
        CoreModuleProperties.NIO_WORKERS.set(c, nioWorkers);
        c.setIoServiceFactoryFactory(new Nio2ServiceFactoryFactory(() -> new SshThreadPoolExecutor(
                nioWorkers,
                nioWorkers,
                0L,
                TimeUnit.MILLISECONDS,
                new LinkedBlockingQueue<>(),
                new LogContextFreeThreads("ssh-nio"))));
        c.setScheduledExecutorService(new ScheduledThreadPoolExecutor(1, new LogContextFreeThreads("ssh-timer")), true);
        c.start();
        LOG.info("SSH client started");
        return c;
    }

    /**
     * Closes sessions that have had no lease for longer than the idle timeout. An entry is removed while its lock is
     * held, so a lease that locks it afterwards sees that it is gone and starts over on a fresh entry.
     */
    @Scheduled(every = "30s", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void closeIdle() {
        long cutoff = System.nanoTime() - config.idleTimeout().toNanos();
        for (Map.Entry<PoolKey, Entry> e : entries.entrySet()) {
            Entry entry = e.getValue();
            if (entry.lastUsed > cutoff || !entry.lock.tryLock()) {
                continue;
            }
            try {
                if (entry.lastUsed > cutoff || entry.channels.availablePermits() != entry.limit) {
                    continue;
                }
                entries.remove(e.getKey(), entry);
                if (entry.session != null) {
                    entry.session.close(false);
                    idleEvictions.increment();
                }
            } finally {
                entry.lock.unlock();
            }
        }
    }

    /** The hosts this process holds open pooled sessions to (for connection affinity). */
    public Set<HeldSession> heldSessions() {
        Set<HeldSession> held = new HashSet<>();
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
        return (int) entries.values().stream()
                .filter(e -> e.session != null && e.session.isOpen())
                .count();
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
