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
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Commands that share one pooled session are not killed by a sibling's failure to open its channel (a host's
 * {@code MaxSessions}, a missing sftp subsystem); a replace without posix-rename never loses the old file; idle
 * cleanup never leaks a session.
 */
class SharedSessionTest {
    @TempDir
    Path work;

    private static SshTarget target(String host, String address, int port, String user, String key,
            String hostKey) {
        return new SshTarget("t-shared", host, address, port, user, key, null, List.of(hostKey), List.of());
    }

    private static SshTarget faulty(FaultySshServer server) {
        return target("faulty", "127.0.0.1", server.port(), "dispatch", server.userPrivateKey(),
                server.hostKeyLine());
    }

    @Test
    void fourCommandsOnAHostWithMaxSessionsTwoAllSucceed() throws Exception {
        TestSshConfig config = TestSshConfig.defaults();
        SshSessionPool pool = new SshSessionPool(config, new SimpleMeterRegistry());
        try (OpenSshHosts fleet = OpenSshHosts.start(1, work, "MaxSessions 2")) {
            OpenSshHosts.Host host = fleet.hosts().get(0);
            SshTarget target = target(host.name(), host.address(), host.port(), fleet.user(),
                    fleet.userPrivateKey(), host.hostKeyLine());
            CommandRunner runner = new CommandRunner(pool, config);
            assertThat(runner.ping(target).outcome()).isEqualTo(SshOutcome.SUCCEEDED);
            List<CompletableFuture<String>> runs = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                CompletableFuture<String> run = new CompletableFuture<>();
                Thread.ofVirtual().start(() -> {
                    CollectingSink out = new CollectingSink();
                    ExecResult result = runner.exec(target, new ExecSpec("sleep 2; echo ok", new byte[0], Map.of(),
                            Duration.ofSeconds(30)), out);
                    run.complete(result.outcome() + " " + out.stdout().strip() + " " + result.error());
                });
                runs.add(run);
            }
            List<String> results = new ArrayList<>();
            for (CompletableFuture<String> run : runs) {
                results.add(run.get());
            }

            assertThat(results).containsExactly("SUCCEEDED ok null", "SUCCEEDED ok null", "SUCCEEDED ok null",
                    "SUCCEEDED ok null");
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
            Thread.ofVirtual().start(() -> exec.complete(runner.exec(target, new ExecSpec("sleep 1500", new byte[0],
                    Map.of(), Duration.ofSeconds(20)), out)));
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (server.runningCommands() == 0 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }

            FileResult fetch = files.fetch(target, "/etc/hostname", new ByteArrayOutputStream(),
                    Duration.ofSeconds(10));

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
            FileSpec spec = new FileSpec("/app.conf", FileContent.of("new\n".getBytes(StandardCharsets.UTF_8)),
                    null, null, false, Duration.ofSeconds(20));

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
            System.out.printf("SharedSessionTest: %d sessions opened, %d left open on the server%n",
                    server.sessionsOpened(), server.liveSessionCount());
            assertThat(server.liveSessionCount()).as("sessions nobody closes").isZero();
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
