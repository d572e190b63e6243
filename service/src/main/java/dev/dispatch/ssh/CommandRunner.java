package dev.dispatch.ssh;

import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import org.apache.sshd.client.channel.ChannelExec;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.channel.exception.SshChannelOpenException;
import org.jboss.logging.Logger;

/**
 * Runs one command on one host over a pooled session: stdin then EOF, stdout and stderr streamed to a sink with
 * window back-pressure, a hard timeout, exit code or signal. Blocking; meant for virtual threads.
 *
 * <p>Interrupting the calling thread cancels the command: the remote process group is sent {@code TERM}, then
 * {@code KILL} half a second later, and the channel is closed; {@link #exec} then returns
 * {@link SshOutcome#CANCELLED} within about a second, with the interrupt status set again. A command past its
 * timeout is stopped the same way and ends {@link SshOutcome#TIMED_OUT}. Output that arrived before either is
 * delivered to the sink. Each command runs through {@link ProcessGroupWrapper} (unless
 * {@link SshConfig#killProcessGroup()} is off), which makes it lead its own process group and report its id; the
 * signals then go both as SSH "signal" requests and as {@code kill -s SIG -- -PGID} over a second exec channel,
 * which OpenSSH cannot refuse as it refuses signal requests for root logins. Without a reported group and with
 * signals refused, the channel is closed at once and the error text says the remote process may still be running.
 *
 * <p>A channel the server refuses on a live session that other commands share (its {@code MaxSessions}) closes
 * nothing: the pool lowers that host's channel limit and the command waits for a sibling to end. Thread-safe.
 */
@ApplicationScoped
public class CommandRunner {
    private static final Logger LOG = Logger.getLogger(CommandRunner.class);
    private static final int READ_BUFFER = 32 * 1024;
    /** How long a signalled command may take to exit before it is killed. */
    private static final Duration TERM_GRACE = Duration.ofMillis(500);
    /** How often a running command's wait checks the cancel request. */
    private static final Duration CANCEL_CHECK = Duration.ofMillis(100);
    /** How long the server may take to confirm a channel close before it is dropped locally. */
    private static final Duration CLOSE_GRACE = Duration.ofMillis(250);
    /** How long output readers may take to hand their last chunks to the sink after the channel closed. */
    private static final Duration DRAIN_GRACE = Duration.ofSeconds(5);
    /** The same after a cancel or timeout, where returning promptly matters more. */
    private static final Duration STOPPED_DRAIN_GRACE = Duration.ofSeconds(1);
    /** How long a stop waits for the process group marker of a command that only just started. */
    private static final Duration MARKER_WAIT = Duration.ofMillis(300);
    /** How long a kill command on its own channel may take. */
    private static final Duration KILL_GRACE = Duration.ofSeconds(2);
    /** Channel refusals on live shared sessions one run waits out before it gives up. */
    private static final int MAX_REFUSALS = 20;

    private final SshSessionPool pool;
    private final SshConfig config;

    public CommandRunner(SshSessionPool pool, SshConfig config) {
        this.pool = pool;
        this.config = config;
    }

    /** Connects, authenticates and checks the host key, running nothing. */
    public ExecResult ping(SshTarget target) {
        try (SshSessionPool.Lease lease = pool.lease(target)) {
            return new ExecResult(SshOutcome.SUCCEEDED, null, null, null);
        } catch (SshFailureException e) {
            return e.toResult();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return ExecResult.failure(SshOutcome.CANCELLED, "interrupted");
        }
    }

    /**
     * Runs {@code spec} on the target, streaming output into {@code sink}. Never throws for remote failures: a
     * connection that cannot be made is UNREACHABLE, AUTH_FAILED or HOST_KEY_REJECTED; a connection lost while
     * the command ran is FAILED with an error text. A pooled session that turns out to be dead is replaced once,
     * transparently.
     */
    public ExecResult exec(SshTarget target, ExecSpec spec, OutputSink sink) {
        return exec(target, spec, sink, () -> false);
    }

    /**
     * Like {@link #exec(SshTarget, ExecSpec, OutputSink)}, and also cancels once {@code cancelled} answers true
     * (checked every 100 ms), which does not depend on the interrupt surviving library code.
     */
    public ExecResult exec(SshTarget target, ExecSpec spec, OutputSink sink, BooleanSupplier cancelled) {
        long deadline = System.nanoTime() + spec.timeout().toNanos();
        String command = config.killProcessGroup() ? ProcessGroupWrapper.wrap(spec.command()) : spec.command();
        int refusals = 0;
        for (int attempt = 1; ; attempt++) {
            SshSessionPool.Lease lease;
            try {
                lease = pool.lease(target);
            } catch (SshFailureException e) {
                return cancelled.getAsBoolean() ? cancelledBeforeStart() : e.toResult();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return cancelledBeforeStart();
            }
            SignallableExec channel = null;
            try {
                channel = SignallableExec.create(lease.session(), command, spec.env() == null ? Map.of() : spec.env());
                channel.open().verify(config.connectTimeout());
            } catch (IOException | RuntimeException e) {
                if (channel != null) {
                    channel.close(false);
                }
                if (e instanceof InterruptedIOException
                        || Thread.currentThread().isInterrupted()
                        || cancelled.getAsBoolean()) {
                    lease.close();
                    Thread.currentThread().interrupt();
                    return cancelledBeforeStart();
                }
                ClientSession session = lease.session();
                boolean alive = session.isOpen() && !session.isClosing();
                // A refusal on a live session shared with running siblings is its channel limit: closing the session
                // would kill those siblings, so wait for one of them to end instead.
                if (alive && refused(e) && lease.channelRefused()) {
                    lease.close();
                    if (System.nanoTime() - deadline >= 0) {
                        return ExecResult.failure(
                                SshOutcome.TIMED_OUT,
                                "the host refused a channel until the " + spec.timeout() + " timeout: "
                                        + e.getMessage());
                    }
                    if (++refusals > MAX_REFUSALS) {
                        return ExecResult.failure(
                                SshOutcome.FAILED,
                                "the host refused a channel " + refusals + " times while other commands ran on it: "
                                        + e.getMessage());
                    }
                    attempt--;
                    LOG.debugf(
                            "%s refused a channel (%s); waiting for a sibling channel to close",
                            target, e.getMessage());
                    continue;
                }
                lease.evict();
                lease.close();
                if (attempt == 1) {
                    LOG.debugf("pooled session to %s unusable (%s); reconnecting", target, e.getMessage());
                    continue;
                }
                return ExecResult.failure(SshOutcome.UNREACHABLE, "cannot open a channel: " + e.getMessage());
            }
            try (lease) {
                ExecResult result = run(channel, spec, sink, deadline, cancelled);
                if (!lease.session().isOpen() || lease.session().isClosing()) {
                    lease.evict();
                }
                return result;
            }
        }
    }

    /** True when the server answered the channel open with SSH_MSG_CHANNEL_OPEN_FAILURE. */
    static boolean refused(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof SshChannelOpenException) {
                return true;
            }
        }
        return false;
    }

    private static ExecResult cancelledBeforeStart() {
        return ExecResult.failure(SshOutcome.CANCELLED, "cancelled before the command started");
    }

    private ExecResult run(
            SignallableExec channel, ExecSpec spec, OutputSink sink, long deadline, BooleanSupplier cancelRequested) {
        CompletableFuture<Void> closed = new CompletableFuture<>();
        channel.addCloseFutureListener(f -> closed.complete(null));
        Thread out = Thread.ofVirtual()
                .name("ssh-stdout")
                .start(() -> pump(channel.getInvertedOut(), OutputSink.Stream.STDOUT, sink, null));
        CompletableFuture<Long> pgid = new CompletableFuture<>();
        ProcessGroupWrapper.StderrFilter filter =
                config.killProcessGroup() ? new ProcessGroupWrapper.StderrFilter(pgid) : null;
        Thread err = Thread.ofVirtual()
                .name("ssh-stderr")
                .start(() -> pump(channel.getInvertedErr(), OutputSink.Stream.STDERR, sink, filter));
        // On its own thread: a command that never reads stdin must not block the wait for its end.
        Thread in = Thread.ofVirtual().name("ssh-stdin").start(() -> feed(channel.getInvertedIn(), spec.input()));
        boolean cancelled = false;
        boolean finished;
        try {
            finished = awaitEnd(closed, deadline, cancelRequested);
        } catch (InterruptedException e) {
            cancelled = true;
            finished = false;
        }
        String stopped = finished ? null : stop(channel, closed, pgid);
        boolean interrupted = cancelled | Thread.interrupted();
        drain(finished ? DRAIN_GRACE : STOPPED_DRAIN_GRACE, out, err, in);
        if (!channel.isClosed()) {
            channel.close(true);
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        if (cancelled) {
            return ExecResult.failure(SshOutcome.CANCELLED, "cancelled while running; " + stopped);
        }
        if (!finished) {
            return ExecResult.failure(
                    SshOutcome.TIMED_OUT, "command still running after " + spec.timeout() + "; " + stopped);
        }
        Integer status = channel.getExitStatus();
        String signal = channel.getExitSignal();
        if (signal != null) {
            return new ExecResult(SshOutcome.FAILED, status, signal, "killed by signal " + signal);
        }
        if (status == null) {
            boolean sessionLost =
                    !channel.getSession().isOpen() || channel.getSession().isClosing();
            return ExecResult.failure(
                    SshOutcome.FAILED,
                    sessionLost
                            ? "connection lost while the command was running"
                            : "channel closed without an exit status");
        }
        return new ExecResult(
                status == 0 ? SshOutcome.SUCCEEDED : SshOutcome.FAILED,
                status,
                null,
                status == 0 ? null : "exit code " + status);
    }

    /**
     * Ends a command that is still running: TERM, then KILL, then a channel close the server sees, then a local
     * close. Each signal goes both as an SSH "signal" request and, where the command reported its process group,
     * as {@code kill -s SIG -- -PGID} over a second exec channel on the same session, which reaches the whole
     * remote process tree even where the server refuses signal requests (OpenSSH does for root logins). Each step
     * waits briefly for the channel to close by itself, which keeps the output that was still in flight. Ignores
     * interrupts (a cancel is what brought us here) and restores them for the caller.
     *
     * @return what happened, for the run's error text
     */
    private String stop(SignallableExec channel, CompletableFuture<Void> closed, CompletableFuture<Long> pgid) {
        ClientSession session = channel.getClientSession();
        CompletableFuture<Boolean> term = channel.signal("TERM");
        Long group = config.killProcessGroup() ? awaitValue(pgid, MARKER_WAIT) : null;
        boolean groupSignalled = group != null && killGroup(session, channel, closed, "TERM", group);
        CompletableFuture<Void> refused = term.thenCompose(
                delivered -> delivered ? new CompletableFuture<Void>() : CompletableFuture.<Void>completedFuture(null));
        awaitQuietly(groupSignalled ? closed : CompletableFuture.anyOf(closed, refused), TERM_GRACE);
        if (closed.isDone()) {
            return groupSignalled ? "the command's process group ended on SIGTERM" : "the command ended on SIGTERM";
        }
        boolean signalRefused = refused.isDone();
        if (!signalRefused) {
            channel.signal("KILL");
        }
        boolean groupKilled = group != null && killGroup(session, channel, closed, "KILL", group);
        if (groupKilled) {
            awaitQuietly(closed, CLOSE_GRACE);
        }
        // A graceful close sends SSH_MSG_CHANNEL_CLOSE; close(true) alone would leave the server's channel open.
        channel.close(false);
        if (!awaitQuietly(closed, CLOSE_GRACE)) {
            channel.close(true);
        }
        if (groupSignalled || groupKilled) {
            return "the command's process group " + group + " was sent SIGTERM, then SIGKILL, and its channel was"
                    + " closed";
        }
        return signalRefused
                ? "the server refused to signal the command (OpenSSH does for root logins) and its process group"
                        + " could not be signalled, so it may still be running on the host; its channel was closed"
                : "the command was sent SIGTERM, then SIGKILL, and its channel was closed";
    }

    /**
     * Runs {@code kill -s SIG -- -PGID} on a second channel of the session. Where the server refuses that channel
     * (its session limit is reached), the command's own channel is closed first to make room.
     *
     * @return whether the kill ran and found the group
     */
    private boolean killGroup(
            ClientSession session, SignallableExec command, CompletableFuture<Void> closed, String signal, long pgid) {
        for (int attempt = 1; attempt <= 2; attempt++) {
            ChannelExec kill = null;
            try {
                kill = session.createExecChannel(ProcessGroupWrapper.killCommand(signal, pgid));
                kill.open().verify(KILL_GRACE);
                CompletableFuture<Void> done = new CompletableFuture<>();
                kill.addCloseFutureListener(f -> done.complete(null));
                awaitQuietly(done, KILL_GRACE);
                Integer status = kill.getExitStatus();
                return status != null && status == 0;
            } catch (IOException | RuntimeException e) {
                if (attempt == 1 && refused(e)) {
                    command.close(false);
                    awaitQuietly(closed, CLOSE_GRACE);
                    continue;
                }
                LOG.debugf("kill -%s of process group %d failed: %s", signal, pgid, e.getMessage());
                return false;
            } finally {
                if (kill != null) {
                    kill.close(false);
                }
            }
        }
        return false;
    }

    /** The future's value once it completes within {@code wait}, else null; interrupts are kept for later. */
    private static <T> T awaitValue(CompletableFuture<T> future, Duration wait) {
        return awaitQuietly(future, wait) ? future.getNow(null) : null;
    }

    /** Waits for the command's end until the deadline; a cancel request ends the wait like an interrupt. */
    private static boolean awaitEnd(CompletableFuture<?> closed, long deadline, BooleanSupplier cancelled)
            throws InterruptedException {
        while (true) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            if (cancelled.getAsBoolean()) {
                throw new InterruptedException("cancel requested");
            }
            if (await(closed, Math.min(left, CANCEL_CHECK.toNanos()))) {
                return true;
            }
        }
    }

    /** Waits for {@code closed}; false when {@code nanos} passed first. */
    private static boolean await(CompletableFuture<?> closed, long nanos) throws InterruptedException {
        try {
            closed.get(nanos, TimeUnit.NANOSECONDS);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (ExecutionException e) {
            return true;
        }
    }

    private static boolean awaitQuietly(CompletableFuture<?> closed, Duration wait) {
        long deadline = System.nanoTime() + wait.toNanos();
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return await(closed, Math.max(1, deadline - System.nanoTime()));
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Joins the stream threads for at most {@code grace} in total; a sink that is still busy is left running. */
    private static void drain(Duration grace, Thread... threads) {
        long deadline = System.nanoTime() + grace.toNanos();
        boolean interrupted = false;
        for (Thread t : threads) {
            while (t.isAlive()) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    LOG.debugf("%s still busy after %s", t.getName(), grace);
                    break;
                }
                try {
                    t.join(Duration.ofNanos(left));
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private static void feed(OutputStream stdin, byte[] input) {
        try (stdin) {
            if (input != null && input.length > 0) {
                stdin.write(input);
                stdin.flush();
            }
        } catch (IOException e) {
            LOG.debugf("stdin not fully delivered: %s", e.getMessage());
        }
    }

    /** Streams one output into the sink; {@code filter}, where given, takes the process group marker off first. */
    private static void pump(
            InputStream in, OutputSink.Stream stream, OutputSink sink, ProcessGroupWrapper.StderrFilter filter) {
        Utf8Chunker chunker = new Utf8Chunker();
        byte[] buf = new byte[READ_BUFFER];
        try (in) {
            int n;
            while ((n = in.read(buf)) != -1) {
                if (n > 0) {
                    byte[] data = buf;
                    if (filter != null && filter.active()) {
                        data = filter.feed(buf, n);
                        n = data.length;
                    }
                    byte[] chunk = chunker.feed(data, n);
                    if (chunk.length > 0) {
                        sink.chunk(stream, chunk);
                    }
                }
            }
        } catch (IOException e) {
            LOG.debugf("%s ended: %s", stream, e.getMessage());
        } finally {
            if (filter != null) {
                byte[] held = filter.finish();
                byte[] chunk = chunker.feed(held, held.length);
                if (chunk.length > 0) {
                    sink.chunk(stream, chunk);
                }
            }
            byte[] rest = chunker.flush();
            if (rest.length > 0) {
                sink.chunk(stream, rest);
            }
            sink.end(stream);
        }
    }
}
