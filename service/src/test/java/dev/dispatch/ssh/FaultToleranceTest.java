package dev.dispatch.ssh;

import static org.assertj.core.api.Assertions.assertThat;

import dev.dispatch.testing.FaultySshServer;
import dev.dispatch.testing.OpenSshHosts;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The executor against an in-process SSH server that misbehaves on purpose. */
class FaultToleranceTest {
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(2);
    private static final long MIB = 1L << 20;

    @TempDir
    static Path sftpRoot;

    private static FaultySshServer server;

    private SshSessionPool pool;
    private CommandRunner runner;

    @BeforeAll
    static void startServer() throws IOException {
        server = FaultySshServer.start(sftpRoot);
    }

    @AfterAll
    static void stopServer() throws IOException {
        if (server != null) {
            server.close();
        }
    }

    @BeforeEach
    void newPool() {
        TestSshConfig config = TestSshConfig.defaults().withConnectTimeout(CONNECT_TIMEOUT);
        pool = new SshSessionPool(config, new SimpleMeterRegistry());
        runner = new CommandRunner(pool, config);
    }

    @AfterEach
    void stopPool() {
        pool.stop();
    }

    private static SshTarget target(int port) {
        return new SshTarget(
                "t-faults",
                "faulty",
                "127.0.0.1",
                port,
                "dispatch",
                server.userPrivateKey(),
                null,
                List.of(server.hostKeyLine()),
                List.of());
    }

    private ExecResult exec(String command, Duration timeout, OutputSink sink) {
        return runner.exec(target(server.port()), new ExecSpec(command, new byte[0], Map.of(), timeout), sink);
    }

    @Test
    void runsACommand() {
        CollectingSink out = new CollectingSink();

        ExecResult result = exec("echo hello", Duration.ofSeconds(10), out);

        assertThat(result).isEqualTo(new ExecResult(SshOutcome.SUCCEEDED, 0, null, null));
        assertThat(out.stdout()).isEqualTo("hello\n");
    }

    @Test
    void silentHandshakeEndsUnreachableWithinTheConnectTimeout() throws IOException {
        handshakeNeverCompletes(false);
    }

    @Test
    void handshakeStuckAfterTheBannerEndsUnreachableWithinTheConnectTimeout() throws IOException {
        handshakeNeverCompletes(true);
    }

    private void handshakeNeverCompletes(boolean banner) throws IOException {
        try (FaultySshServer.Tarpit tarpit = FaultySshServer.tarpit(banner)) {
            long t0 = System.nanoTime();

            ExecResult result = runner.exec(
                    target(tarpit.port()),
                    new ExecSpec("echo never", new byte[0], Map.of(), Duration.ofMinutes(1)),
                    OutputSink.DISCARD);

            Duration took = Duration.ofNanos(System.nanoTime() - t0);
            assertThat(result.outcome()).as(result.toString()).isEqualTo(SshOutcome.UNREACHABLE);
            assertThat(result.error()).contains("timed out");
            assertThat(tarpit.accepted()).isEqualTo(1);
            assertThat(took).isBetween(CONNECT_TIMEOUT.minusMillis(100), CONNECT_TIMEOUT.plusSeconds(2));
        }
    }

    @Test
    void interruptDuringTheHandshakeEndsCancelledNotUnreachable() throws Exception {
        try (FaultySshServer.Tarpit tarpit = FaultySshServer.tarpit(true)) {
            AtomicReference<ExecResult> result = new AtomicReference<>();
            AtomicReference<Boolean> interruptKept = new AtomicReference<>();
            Thread run = Thread.ofVirtual().start(() -> {
                result.set(runner.exec(
                        target(tarpit.port()),
                        new ExecSpec("echo never", new byte[0], Map.of(), Duration.ofMinutes(1)),
                        OutputSink.DISCARD));
                interruptKept.set(Thread.currentThread().isInterrupted());
            });
            long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (tarpit.accepted() == 0 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            Thread.sleep(200);
            long t0 = System.nanoTime();

            run.interrupt();
            run.join(Duration.ofSeconds(10));

            assertThat(result.get().outcome()).as(String.valueOf(result.get())).isEqualTo(SshOutcome.CANCELLED);
            assertThat(interruptKept.get()).isTrue();
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofMillis(500));
        }
    }

    @Test
    void stalledCommandTimesOutWithTheOutputSoFar() {
        CollectingSink out = new CollectingSink();
        int signals = server.signalsReceived().size();
        long t0 = System.nanoTime();

        ExecResult result = exec("stall partial output", Duration.ofSeconds(1), out);

        Duration took = Duration.ofNanos(System.nanoTime() - t0);
        assertThat(result.outcome()).as(result.toString()).isEqualTo(SshOutcome.TIMED_OUT);
        assertThat(result.error()).contains("PT1S").contains("SIGTERM, then SIGKILL");
        assertThat(server.signalsReceived()
                        .subList(signals, server.signalsReceived().size()))
                .containsExactly("TERM", "KILL");
        assertThat(out.stdout()).isEqualTo("partial output");
        assertThat(out.ended()).isEqualTo(2);
        assertThat(took).isLessThan(Duration.ofSeconds(4));
        assertThat(exec("echo after", Duration.ofSeconds(10), OutputSink.DISCARD)
                        .outcome())
                .isEqualTo(SshOutcome.SUCCEEDED);
    }

    @Test
    void interruptSignalsTheCommandAndEndsCancelled() throws InterruptedException {
        CollectingSink out = new CollectingSink();
        int signals = server.signalsReceived().size();
        AtomicReference<ExecResult> result = new AtomicReference<>();
        Thread run = Thread.ofVirtual().start(() -> result.set(exec("wait ready", Duration.ofMinutes(1), out)));
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!out.stdout().equals("ready") && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        long t0 = System.nanoTime();

        run.interrupt();
        run.join(Duration.ofSeconds(10));

        Duration took = Duration.ofNanos(System.nanoTime() - t0);
        assertThat(result.get().outcome()).as(String.valueOf(result.get())).isEqualTo(SshOutcome.CANCELLED);
        assertThat(result.get().error()).contains("ended on SIGTERM");
        assertThat(took).isLessThan(Duration.ofMillis(500));
        assertThat(server.signalsReceived()
                        .subList(signals, server.signalsReceived().size()))
                .containsExactly("TERM");
        System.out.printf("FaultToleranceTest: cancel with a signal-honouring server took %d ms%n", took.toMillis());
    }

    @Test
    void connectionDroppedMidCommandIsAClassifiedFailure() {
        CollectingSink out = new CollectingSink();
        long t0 = System.nanoTime();

        ExecResult result = exec("disconnect half", Duration.ofSeconds(30), out);

        Duration took = Duration.ofNanos(System.nanoTime() - t0);
        assertThat(result.outcome()).as(result.toString()).isIn(SshOutcome.FAILED, SshOutcome.UNREACHABLE);
        assertThat(result.error()).isNotBlank();
        assertThat(result.exitCode()).isNull();
        assertThat(out.stdout()).isEqualTo("half");
        assertThat(took).isLessThan(Duration.ofSeconds(5));
        System.out.printf("FaultToleranceTest: dropped connection -> %s (%s)%n", result.outcome(), result.error());

        CollectingSink again = new CollectingSink();
        assertThat(exec("echo again", Duration.ofSeconds(10), again).outcome()).isEqualTo(SshOutcome.SUCCEEDED);
        assertThat(again.stdout()).isEqualTo("again\n");
    }

    @Test
    void hundredMebibytesStreamThroughASlowSinkWithBoundedMemory() throws Exception {
        long total = 100 * MIB;
        long baseline = FileTransferTest.usedHeapAfterGc();
        BlockingCounter sink = new BlockingCounter(50 * MIB, baseline);
        long sentBefore = server.bytesSent();
        long t0 = System.nanoTime();

        ExecResult result = exec("flood " + total, Duration.ofMinutes(2), sink);

        double seconds = (System.nanoTime() - t0) / 1e9 - sink.blockedSeconds;
        long retained = FileTransferTest.usedHeapAfterGc() - baseline;
        assertThat(result.outcome()).as(result.toString()).isEqualTo(SshOutcome.SUCCEEDED);
        assertThat(sink.count.get()).isEqualTo(total);
        assertThat(server.bytesSent() - sentBefore).isEqualTo(total);
        long aheadWhileBlocked = sink.sentAtEndOfBlock - sentBefore - sink.deliveredAtBlock;
        assertThat(aheadWhileBlocked)
                .as("bytes the server got ahead of a blocked sink")
                .isLessThan(8 * MIB);
        assertThat(sink.sentAtEndOfBlock - sink.sentMidBlock)
                .as("bytes sent in the last second of the block")
                .isLessThanOrEqualTo(64 * 1024);
        assertThat(sink.heapWhileBlocked)
                .as("live heap growth while the sink was blocked")
                .isLessThan(32 * MIB);
        assertThat(retained).as("heap retained after the run").isLessThan(16 * MIB);
        System.out.printf(
                "FaultToleranceTest: 100 MiB through exec at %.1f MiB/s (excluding %.1f s blocked);"
                        + " server ahead of blocked sink by %d KiB; live heap while blocked %+d KiB;"
                        + " retained %+d KiB%n",
                100 / seconds,
                sink.blockedSeconds,
                aheadWhileBlocked / 1024,
                sink.heapWhileBlocked / 1024,
                retained / 1024);
    }

    @Test
    void deadPooledSessionIsReplacedAfterARestart() throws IOException {
        assertThat(exec("echo one", Duration.ofSeconds(10), OutputSink.DISCARD).outcome())
                .isEqualTo(SshOutcome.SUCCEEDED);
        int sessions = server.sessionsOpened();

        server.restart();
        CollectingSink out = new CollectingSink();
        ExecResult result = exec("echo two", Duration.ofSeconds(10), out);

        assertThat(result.outcome()).as(result.toString()).isEqualTo(SshOutcome.SUCCEEDED);
        assertThat(out.stdout()).isEqualTo("two\n");
        assertThat(server.sessionsOpened()).isEqualTo(sessions + 1);
        assertThat(pool.openSessions()).isEqualTo(1);
    }

    @Test
    void pooledSessionThatRefusesChannelsIsEvictedTransparently() {
        assertThat(exec("echo one", Duration.ofSeconds(10), OutputSink.DISCARD).outcome())
                .isEqualTo(SshOutcome.SUCCEEDED);
        int sessions = server.sessionsOpened();

        server.refuseChannelsOnOpenSessions();
        CollectingSink out = new CollectingSink();
        ExecResult result = exec("echo two", Duration.ofSeconds(10), out);

        assertThat(result.outcome()).as(result.toString()).isEqualTo(SshOutcome.SUCCEEDED);
        assertThat(out.stdout()).isEqualTo("two\n");
        assertThat(server.sessionsOpened()).isEqualTo(sessions + 1);
        assertThat(exec("echo three", Duration.ofSeconds(10), OutputSink.DISCARD)
                        .outcome())
                .isEqualTo(SshOutcome.SUCCEEDED);
        assertThat(server.sessionsOpened()).isEqualTo(sessions + 1);
    }

    @Test
    void updateHashesOverSftpWhereSha256sumIsMissing() throws IOException {
        FileTransfer files = new FileTransfer(pool, runner, TestSshConfig.defaults());
        Path file = sftpRoot.resolve("app.conf");
        Files.writeString(file, "same\n");
        FileTime past = FileTime.from(Instant.parse("2020-01-01T00:00:00Z"));
        Files.setLastModifiedTime(file, past);
        FileSpec same = new FileSpec(
                "/app.conf",
                FileContent.of("same\n".getBytes(StandardCharsets.UTF_8)),
                null,
                null,
                true,
                Duration.ofSeconds(20));
        FileSpec different = new FileSpec(
                "/app.conf",
                FileContent.of("new\n".getBytes(StandardCharsets.UTF_8)),
                null,
                "0644",
                true,
                Duration.ofSeconds(20));
        try {
            FileResult unchanged = files.update(target(server.port()), same);
            assertThat(unchanged.outcome()).as(unchanged.toString()).isEqualTo(SshOutcome.SUCCEEDED);
            assertThat(unchanged.changed()).isFalse();
            assertThat(Files.getLastModifiedTime(file)).isEqualTo(past);

            FileResult changed = files.update(target(server.port()), different);
            assertThat(changed.outcome()).as(changed.toString()).isEqualTo(SshOutcome.SUCCEEDED);
            assertThat(changed.changed()).isTrue();
            assertThat(Files.readString(file)).isEqualTo("new\n");
            try (var s = Files.list(sftpRoot)) {
                assertThat(s.map(p -> p.getFileName().toString()).sorted().toList())
                        .hasSize(2)
                        .contains("app.conf")
                        .anyMatch(n -> n.matches("app\\.conf\\.\\d{8}T\\d{6}Z\\.bak"));
            }
        } finally {
            files.stop();
        }
    }

    /** Counts bytes; once, past a threshold, blocks 1.5 s and records what the server did meanwhile. */
    private static final class BlockingCounter implements OutputSink {
        final AtomicLong count = new AtomicLong();
        private final long blockAt;
        private final long baseline;
        private boolean blocked;
        volatile long deliveredAtBlock;
        volatile long sentMidBlock;
        volatile long sentAtEndOfBlock;
        volatile long heapWhileBlocked;
        volatile double blockedSeconds;

        BlockingCounter(long blockAt, long baseline) {
            this.blockAt = blockAt;
            this.baseline = baseline;
        }

        @Override
        public void chunk(Stream stream, byte[] data) {
            long now = count.addAndGet(data.length);
            if (!blocked && now >= blockAt) {
                blocked = true;
                long t0 = System.nanoTime();
                deliveredAtBlock = now;
                try {
                    Thread.sleep(500);
                    heapWhileBlocked = FileTransferTest.usedHeapAfterGc() - baseline;
                    sentMidBlock = server.bytesSent();
                    Thread.sleep(1000);
                    sentAtEndOfBlock = server.bytesSent();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                blockedSeconds = (System.nanoTime() - t0) / 1e9;
            }
        }

        @Override
        public void end(Stream stream) {}
    }

    /**
     * Commands that share one pooled session are not killed by a sibling's failure to open its channel (a host's
     * {@code MaxSessions}, a missing sftp subsystem); a replace without posix-rename never loses the old file; idle
     * cleanup never leaks a session. Each test has its own server and pool.
     */
    @Nested
    class SharedSessions {
        @TempDir
        Path work;

        private static SshTarget target(
                String host, String address, int port, String user, String key, String hostKey) {
            return new SshTarget("t-shared", host, address, port, user, key, null, List.of(hostKey), List.of());
        }

        private static SshTarget faulty(FaultySshServer server) {
            return target(
                    "faulty", "127.0.0.1", server.port(), "dispatch", server.userPrivateKey(), server.hostKeyLine());
        }

        @Test
        void fourCommandsOnAHostWithMaxSessionsTwoAllSucceed() throws Exception {
            TestSshConfig config = TestSshConfig.defaults();
            SshSessionPool pool = new SshSessionPool(config, new SimpleMeterRegistry());
            try (OpenSshHosts fleet = OpenSshHosts.start(1, work, "MaxSessions 2")) {
                OpenSshHosts.Host host = fleet.hosts().get(0);
                SshTarget target = target(
                        host.name(),
                        host.address(),
                        host.port(),
                        fleet.user(),
                        fleet.userPrivateKey(),
                        host.hostKeyLine());
                CommandRunner runner = new CommandRunner(pool, config);
                assertThat(runner.ping(target).outcome()).isEqualTo(SshOutcome.SUCCEEDED);
                List<CompletableFuture<String>> runs = new ArrayList<>();
                for (int i = 0; i < 4; i++) {
                    CompletableFuture<String> run = new CompletableFuture<>();
                    Thread.ofVirtual().start(() -> {
                        CollectingSink out = new CollectingSink();
                        ExecResult result = runner.exec(
                                target,
                                new ExecSpec("sleep 2; echo ok", new byte[0], Map.of(), Duration.ofSeconds(30)),
                                out);
                        run.complete(result.outcome() + " " + out.stdout().strip() + " " + result.error());
                    });
                    runs.add(run);
                }
                List<String> results = new ArrayList<>();
                for (CompletableFuture<String> run : runs) {
                    results.add(run.get());
                }

                assertThat(results)
                        .containsExactly(
                                "SUCCEEDED ok null", "SUCCEEDED ok null", "SUCCEEDED ok null", "SUCCEEDED ok null");
                assertThat(pool.openSessions()).isEqualTo(1);
            } finally {
                pool.stop();
            }
        }

        @Test
        void sftpRefusedWhileACommandRunsFailsOnlyThatTransfer() throws Exception {
            TestSshConfig config = TestSshConfig.defaults();
            SshSessionPool pool = new SshSessionPool(config, new SimpleMeterRegistry());
            CommandRunner runner = new CommandRunner(pool, config);
            FileTransfer files = new FileTransfer(pool, runner, config);
            try (FaultySshServer server = FaultySshServer.start(null)) {
                SshTarget target = faulty(server);
                CompletableFuture<ExecResult> exec = new CompletableFuture<>();
                CollectingSink out = new CollectingSink();
                Thread.ofVirtual()
                        .start(() -> exec.complete(runner.exec(
                                target,
                                new ExecSpec("sleep 1500", new byte[0], Map.of(), Duration.ofSeconds(20)),
                                out)));
                long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
                while (server.runningCommands() == 0 && System.nanoTime() < deadline) {
                    Thread.sleep(10);
                }

                FileResult fetch =
                        files.fetch(target, "/etc/hostname", new ByteArrayOutputStream(), Duration.ofSeconds(10));

                assertThat(fetch.outcome()).as(fetch.toString()).isEqualTo(SshOutcome.FAILED);
                assertThat(fetch.result().error()).startsWith("cannot start SFTP");
                ExecResult result = exec.get();
                assertThat(result.outcome()).as(result.toString()).isEqualTo(SshOutcome.SUCCEEDED);
                assertThat(out.stdout()).isEqualTo("slept\n");
                assertThat(server.sessionsOpened()).isEqualTo(1);
            } finally {
                files.stop();
                pool.stop();
            }
        }

        @Test
        void replaceWithoutPosixRenameKeepsTheOldFileWhenTheNewCannotBeMovedIn() throws Exception {
            TestSshConfig config = TestSshConfig.defaults();
            SshSessionPool pool = new SshSessionPool(config, new SimpleMeterRegistry());
            FileTransfer files = new FileTransfer(pool, new CommandRunner(pool, config), config);
            Path root = Files.createDirectories(work.resolve("sftp"));
            Path file = root.resolve("app.conf");
            Files.writeString(file, "old\n");
            try (FaultySshServer server = FaultySshServer.start(root)) {
                server.hidePosixRename();
                server.refuseRenamesFrom(".tmp");
                SshTarget target = faulty(server);
                FileSpec spec = new FileSpec(
                        "/app.conf",
                        FileContent.of("new\n".getBytes(StandardCharsets.UTF_8)),
                        null,
                        null,
                        false,
                        Duration.ofSeconds(20));

                FileResult refused = files.upload(target, spec);

                assertThat(refused.outcome()).as(refused.toString()).isEqualTo(SshOutcome.FAILED);
                assertThat(Files.readString(file)).isEqualTo("old\n");
                assertThat(names(root)).containsExactly("app.conf");

                server.refuseRenamesFrom(null);
                FileResult replaced = files.upload(target, spec);

                assertThat(replaced.outcome()).as(replaced.toString()).isEqualTo(SshOutcome.SUCCEEDED);
                assertThat(Files.readString(file)).isEqualTo("new\n");
                assertThat(names(root)).containsExactly("app.conf");
            } finally {
                files.stop();
                pool.stop();
            }
        }

        private static List<String> names(Path dir) throws IOException {
            try (Stream<Path> s = Files.list(dir)) {
                return s.map(p -> p.getFileName().toString()).sorted().toList();
            }
        }

        @Test
        void idleCleanupRacingLeasesLeaksNoSession() throws Exception {
            SshConfig config = new IdleZero(TestSshConfig.defaults());
            SshSessionPool pool = new SshSessionPool(config, new SimpleMeterRegistry());
            try (FaultySshServer server = FaultySshServer.start(null)) {
                SshTarget target = faulty(server);
                AtomicBoolean stop = new AtomicBoolean();
                Thread cleaner = Thread.ofPlatform().start(() -> {
                    while (!stop.get()) {
                        pool.closeIdle();
                    }
                });
                List<Thread> leasers = new ArrayList<>();
                for (int t = 0; t < 4; t++) {
                    leasers.add(Thread.ofPlatform().start(() -> {
                        for (int i = 0; i < 150; i++) {
                            try (SshSessionPool.Lease lease = pool.lease(target)) {
                                assertThat(lease.session()).isNotNull();
                            } catch (SshFailureException | InterruptedException e) {
                                throw new IllegalStateException(e);
                            }
                        }
                    }));
                }
                for (Thread t : leasers) {
                    t.join();
                }
                stop.set(true);
                cleaner.join();

                pool.closeIdle();

                assertThat(pool.openSessions()).isZero();
                long deadline = System.nanoTime() + Duration.ofSeconds(3).toNanos();
                while (server.liveSessionCount() > 0 && System.nanoTime() < deadline) {
                    Thread.sleep(10);
                }
                System.out.printf(
                        "FaultToleranceTest: %d sessions opened, %d left open on the server%n",
                        server.sessionsOpened(), server.liveSessionCount());
                assertThat(server.liveSessionCount())
                        .as("sessions nobody closes")
                        .isZero();
            } finally {
                pool.stop();
            }
        }

        /** The test defaults with an idle timeout of zero: every session without a lease is idle. */
        private record IdleZero(TestSshConfig base) implements SshConfig {
            @Override
            public Duration connectTimeout() {
                return base.connectTimeout();
            }

            @Override
            public int maxChannelsPerSession() {
                return base.maxChannelsPerSession();
            }

            @Override
            public int maxConcurrentHandshakes() {
                return base.maxConcurrentHandshakes();
            }

            @Override
            public Duration heartbeatInterval() {
                return base.heartbeatInterval();
            }

            @Override
            public Duration idleTimeout() {
                return Duration.ZERO;
            }

            @Override
            public long maxFetchBytes() {
                return base.maxFetchBytes();
            }

            @Override
            public boolean killProcessGroup() {
                return true;
            }

            @Override
            public int nioWorkers() {
                return 0;
            }
        }
    }
}
