package dev.dispatch.ssh;

import static org.assertj.core.api.Assertions.assertThat;

import dev.dispatch.testing.OpenSshHosts;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
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
 * Cancel and timeout of commands on a real OpenSSH host, and what becomes of the remote process tree. The test
 * hosts log in as the user running the tests, usually root, for which OpenSSH refuses SSH "signal" requests: the
 * tree must die anyway, through the process group kill over a second channel, within 3 s of the cancel.
 */
class CommandCancelTest {
    @TempDir
    static Path work;

    private static OpenSshHosts fleet;
    private static SshSessionPool pool;
    private static CommandRunner runner;
    private static SshTarget target;

    @BeforeAll
    static void start() throws IOException {
        fleet = OpenSshHosts.start(1, work);
        OpenSshHosts.Host host = fleet.hosts().get(0);
        TestSshConfig config = TestSshConfig.defaults();
        pool = new SshSessionPool(config, new SimpleMeterRegistry());
        runner = new CommandRunner(pool, config);
        target = new SshTarget(
                "t-cancel",
                host.name(),
                host.address(),
                host.port(),
                fleet.user(),
                fleet.userPrivateKey(),
                null,
                List.of(host.hostKeyLine()),
                List.of());
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
                .filter(p ->
                        p.info().commandLine().map(c -> c.endsWith(commandLine)).orElse(false))
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

    /** Processes on this machine (where the test sshd runs) whose command line contains {@code marker}. */
    private static List<ProcessHandle> remoteTree(String marker) {
        return ProcessHandle.allProcesses()
                .filter(p -> p.info().commandLine().map(c -> c.contains(marker)).orElse(false))
                .toList();
    }

    /** Waits up to 3 s from {@code since} until no process of the tree is left, then asserts that none is. */
    private static void expectTreeGone(String what, ExecResult result, String marker, long since)
            throws InterruptedException {
        List<ProcessHandle> left = remoteTree(marker);
        while (!left.isEmpty()
                && System.nanoTime() - since < Duration.ofSeconds(3).toNanos()) {
            Thread.sleep(10);
            left = remoteTree(marker);
        }
        System.out.printf(
                "CommandCancelTest: %s as %s -> %s; remote tree %s after %d ms; error: %s%n",
                what,
                fleet.user(),
                result.outcome(),
                left.isEmpty() ? "gone" : left.size() + " processes still alive",
                Duration.ofNanos(System.nanoTime() - since).toMillis(),
                result.error());
        try {
            assertThat(left)
                    .as("processes of the remote tree left 3 s after the %s", what)
                    .isEmpty();
        } finally {
            left.forEach(ProcessHandle::destroyForcibly);
        }
    }

    private record Cancelled(ExecResult result, boolean interruptKept, Duration latency) {}

    private static Cancelled cancelWhileRunning(String command, String sleep) throws InterruptedException {
        return cancelWhileRunning(command, sleep, sleep, 1, new CollectingSink());
    }

    /** Runs {@code command}, waits for {@code count} processes running {@code sleep}, interrupts, checks the tree. */
    private static Cancelled cancelWhileRunning(
            String command, String sleep, String marker, int count, CollectingSink out) throws InterruptedException {
        AtomicReference<ExecResult> result = new AtomicReference<>();
        AtomicReference<Boolean> interruptKept = new AtomicReference<>();
        Thread run = Thread.ofVirtual().start(() -> {
            result.set(runner.exec(target, new ExecSpec(command, new byte[0], Map.of(), Duration.ofSeconds(30)), out));
            interruptKept.set(Thread.currentThread().isInterrupted());
        });
        awaitSleeps(sleep, count);
        long t0 = System.nanoTime();
        run.interrupt();
        run.join(Duration.ofSeconds(40));
        Duration latency = Duration.ofNanos(System.nanoTime() - t0);
        assertThat(result.get()).as("exec returned").isNotNull();
        System.out.printf(
                "CommandCancelTest: cancel of '%s' returned %s after %d ms%n",
                command, result.get().outcome(), latency.toMillis());
        expectTreeGone("cancel", result.get(), marker, t0);
        return new Cancelled(result.get(), Boolean.TRUE.equals(interruptKept.get()), latency);
    }

    private static void awaitSleeps(String sleep, int count) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (System.nanoTime() < deadline) {
            long n = ProcessHandle.allProcesses()
                    .filter(p ->
                            p.info().command().map(c -> c.endsWith("/sleep")).orElse(false))
                    .filter(p ->
                            p.info().commandLine().map(c -> c.endsWith(sleep)).orElse(false))
                    .count();
            if (n == count) {
                return;
            }
            Thread.sleep(20);
        }
        throw new AssertionError(count + " remote processes '" + sleep + "' never appeared");
    }

    @Test
    void interruptCancelsARunningCommandWithinASecond() throws InterruptedException {
        String sleep = uniqueSleep();

        Cancelled cancelled = cancelWhileRunning(sleep, sleep);

        assertThat(cancelled.result().outcome())
                .as(cancelled.result().toString())
                .isEqualTo(SshOutcome.CANCELLED);
        assertThat(cancelled.latency()).isLessThan(Duration.ofMillis(1200));
        assertThat(cancelled.interruptKept()).isTrue();
        assertThat(runner.exec(
                                target,
                                new ExecSpec("echo still usable", new byte[0], Map.of(), Duration.ofSeconds(10)),
                                OutputSink.DISCARD)
                        .outcome())
                .isEqualTo(SshOutcome.SUCCEEDED);
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

        ExecResult result = runner.exec(
                target, new ExecSpec("echo started; " + sleep, new byte[0], Map.of(), Duration.ofSeconds(1)), out);

        Duration took = Duration.ofNanos(System.nanoTime() - t0);
        watcher.join();
        assertThat(result.outcome()).as(result.toString()).isEqualTo(SshOutcome.TIMED_OUT);
        assertThat(out.stdout()).isEqualTo("started\n");
        assertThat(out.stderr()).isEmpty();
        assertThat(took).isLessThan(Duration.ofSeconds(3));
        assertThat(remote.get()).isNotNull();
        expectTreeGone("timeout", result, sleep, t0 + Duration.ofSeconds(1).toNanos());
    }

    @Test
    void cancelKillsTheWholeRemoteTreeAsRoot() throws InterruptedException {
        String sleep = uniqueSleep();
        CollectingSink out = new CollectingSink();
        String tree = "echo out; echo err >&2; sh -c '" + sleep + " & " + sleep + "; wait'";

        Cancelled cancelled = cancelWhileRunning(tree, sleep, sleep, 2, out);

        assertThat(cancelled.result().outcome())
                .as(cancelled.result().toString())
                .isEqualTo(SshOutcome.CANCELLED);
        assertThat(cancelled.result().error()).contains("process group");
        assertThat(out.stdout()).isEqualTo("out\n");
        assertThat(out.stderr()).isEqualTo("err\n");
    }

    @Test
    void timeoutKillsTheWholeRemoteTreeAsRoot() throws InterruptedException {
        String sleep = uniqueSleep();
        CollectingSink out = new CollectingSink();
        String tree = "echo out; echo err >&2; sh -c '" + sleep + " & " + sleep + "; wait'";
        long t0 = System.nanoTime();

        ExecResult result = runner.exec(target, new ExecSpec(tree, new byte[0], Map.of(), Duration.ofSeconds(2)), out);

        assertThat(result.outcome()).as(result.toString()).isEqualTo(SshOutcome.TIMED_OUT);
        assertThat(out.stdout()).isEqualTo("out\n");
        assertThat(out.stderr()).isEqualTo("err\n");
        expectTreeGone("timeout", result, sleep, t0 + Duration.ofSeconds(2).toNanos());
    }

    @Test
    void wrappedCommandKeepsStdinEnvExitCodeSignalAndQuoting() {
        CollectingSink out = new CollectingSink();
        ExecResult result = runner.exec(
                target,
                new ExecSpec(
                        "read line; printf '%s|%s|%s\\n' \"$line\" \"$DISPATCH_X\""
                                + " 'it'\\''s'; echo oops >&2; exit 7",
                        "hello\n".getBytes(StandardCharsets.UTF_8),
                        Map.of("DISPATCH_X", "v a'l"),
                        Duration.ofSeconds(10)),
                out);

        assertThat(result.exitCode()).as(result.toString()).isEqualTo(7);
        assertThat(out.stdout()).isEqualTo("hello|v a'l|it's\n");
        assertThat(out.stderr()).isEqualTo("oops\n");

        ExecResult killed = runner.exec(
                target,
                new ExecSpec("kill -s KILL $$", new byte[0], Map.of(), Duration.ofSeconds(10)),
                new CollectingSink());
        assertThat(killed.exitSignal()).as(killed.toString()).isEqualTo("KILL");
    }
}
