package dev.dispatch.ssh;

import static org.assertj.core.api.Assertions.assertThat;

import dev.dispatch.testing.OpenSshHosts;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Cancel and timeout of commands on a real OpenSSH host, and what becomes of the remote process. The test hosts
 * log in as the user running the tests; OpenSSH delivers "signal" requests only to non-root logins, so as root
 * the remote process is expected to survive (and the result says so), otherwise to die.
 */
class CommandCancelTest {
    @TempDir
    static Path work;
    private static OpenSshHosts fleet;
    private static SshSessionPool pool;
    private static CommandRunner runner;
    private static SshTarget target;
    private static boolean rootLogin;

    @BeforeAll
    static void start() throws IOException {
        fleet = OpenSshHosts.start(1, work);
        OpenSshHosts.Host host = fleet.hosts().get(0);
        TestSshConfig config = TestSshConfig.defaults();
        pool = new SshSessionPool(config, new SimpleMeterRegistry());
        runner = new CommandRunner(pool, config);
        target = new SshTarget("t-cancel", host.name(), host.address(), host.port(), fleet.user(),
                fleet.userPrivateKey(), null, List.of(host.hostKeyLine()), List.of());
        rootLogin = "root".equals(fleet.user());
        assertThat(runner.ping(target).outcome()).isEqualTo(SshOutcome.SUCCEEDED);
    }

    @AfterAll
    static void stop() {
        if (pool != null) {
            pool.stop();
        }
        if (fleet != null) {
            fleet.close();
        }
    }

    /** A sleep whose command line is unique on this machine, so the test finds exactly its own process. */
    private static String uniqueSleep() {
        return "sleep 600." + ThreadLocalRandom.current().nextInt(100_000, 999_999);
    }

    private static Optional<ProcessHandle> find(String commandLine) {
        return ProcessHandle.allProcesses()
                .filter(p -> p.info().command().map(c -> c.endsWith("/sleep")).orElse(false))
                .filter(p -> p.info().commandLine().map(c -> c.endsWith(commandLine)).orElse(false))
                .findFirst();
    }

    private static ProcessHandle awaitProcess(String commandLine) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (System.nanoTime() < deadline) {
            Optional<ProcessHandle> p = find(commandLine);
            if (p.isPresent()) {
                return p.get();
            }
            Thread.sleep(20);
        }
        throw new AssertionError("remote process '" + commandLine + "' never appeared");
    }

    /** Waits up to {@code max} for the process to end; the time it took, or null if it is still alive. */
    private static Duration awaitGone(ProcessHandle process, Duration max) throws InterruptedException {
        long t0 = System.nanoTime();
        while (process.isAlive() && System.nanoTime() - t0 < max.toNanos()) {
            Thread.sleep(10);
        }
        return process.isAlive() ? null : Duration.ofNanos(System.nanoTime() - t0);
    }

    /** Checks the remote process's fate against the login kind, then makes sure it is gone. */
    private static void expectRemoteFate(String what, ExecResult result, ProcessHandle remote)
            throws InterruptedException {
        Duration gone = awaitGone(remote, Duration.ofSeconds(3));
        System.out.printf("CommandCancelTest: %s as %s -> %s; remote process %s; error: %s%n", what, fleet.user(),
                result.outcome(), gone == null ? "still alive 3 s later" : "gone after " + gone.toMillis() + " ms",
                result.error());
        try {
            if (rootLogin) {
                assertThat(result.error()).contains("refused to signal").contains("may still be running");
            } else {
                assertThat(gone).as("remote process ended").isNotNull();
            }
        } finally {
            remote.destroyForcibly();
        }
    }

    private record Cancelled(ExecResult result, boolean interruptKept, Duration latency) {
    }

    private static Cancelled cancelWhileRunning(String command, String sleep) throws InterruptedException {
        AtomicReference<ExecResult> result = new AtomicReference<>();
        AtomicReference<Boolean> interruptKept = new AtomicReference<>();
        Thread run = Thread.ofVirtual().start(() -> {
            result.set(runner.exec(target, new ExecSpec(command, new byte[0], Map.of(), Duration.ofSeconds(30)),
                    OutputSink.DISCARD));
            interruptKept.set(Thread.currentThread().isInterrupted());
        });
        ProcessHandle remote = awaitProcess(sleep);
        long t0 = System.nanoTime();
        run.interrupt();
        run.join(Duration.ofSeconds(40));
        Duration latency = Duration.ofNanos(System.nanoTime() - t0);
        assertThat(result.get()).as("exec returned").isNotNull();
        System.out.printf("CommandCancelTest: cancel of '%s' returned %s after %d ms%n", command,
                result.get().outcome(), latency.toMillis());
        expectRemoteFate("cancel", result.get(), remote);
        return new Cancelled(result.get(), Boolean.TRUE.equals(interruptKept.get()), latency);
    }

    @Test
    void interruptCancelsARunningCommandWithinASecond() throws InterruptedException {
        String sleep = uniqueSleep();

        Cancelled cancelled = cancelWhileRunning(sleep, sleep);

        assertThat(cancelled.result().outcome()).as(cancelled.result().toString()).isEqualTo(SshOutcome.CANCELLED);
        assertThat(cancelled.latency()).isLessThan(Duration.ofMillis(1200));
        assertThat(cancelled.interruptKept()).isTrue();
        assertThat(runner.exec(target, new ExecSpec("echo still usable", new byte[0], Map.of(),
                Duration.ofSeconds(10)), OutputSink.DISCARD).outcome()).isEqualTo(SshOutcome.SUCCEEDED);
    }

    @Test
    void aCommandThatIgnoresTermIsStillCancelledPromptly() throws InterruptedException {
        String sleep = uniqueSleep();

        Cancelled cancelled = cancelWhileRunning("trap '' TERM; " + sleep + "; echo survived", sleep);

        assertThat(cancelled.result().outcome()).isEqualTo(SshOutcome.CANCELLED);
        assertThat(cancelled.latency()).isLessThan(Duration.ofMillis(1500));
    }

    @Test
    void timeoutStopsTheCommandAndKeepsItsOutput() throws InterruptedException {
        String sleep = uniqueSleep();
        CollectingSink out = new CollectingSink();
        AtomicReference<ProcessHandle> remote = new AtomicReference<>();
        Thread watcher = Thread.ofVirtual().start(() -> {
            try {
                remote.set(awaitProcess(sleep));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        long t0 = System.nanoTime();

        ExecResult result = runner.exec(target, new ExecSpec("echo started; " + sleep, new byte[0], Map.of(),
                Duration.ofSeconds(1)), out);

        Duration took = Duration.ofNanos(System.nanoTime() - t0);
        watcher.join();
        assertThat(result.outcome()).as(result.toString()).isEqualTo(SshOutcome.TIMED_OUT);
        assertThat(out.stdout()).isEqualTo("started\n");
        assertThat(took).isLessThan(Duration.ofSeconds(3));
        assertThat(remote.get()).isNotNull();
        expectRemoteFate("timeout", result, remote.get());
    }
}
