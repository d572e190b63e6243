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
import org.jboss.logging.Logger;

/**
 * Runs one command on one host over a pooled session: stdin then EOF, stdout and stderr streamed to a sink with
 * window back-pressure, a hard timeout, exit code or signal. Blocking; meant for virtual threads.
 *
 * <p>Interrupting the calling thread cancels the command: the remote process is sent {@code TERM}, then
 * {@code KILL}, and the channel is closed; {@link #exec} then returns {@link SshOutcome#CANCELLED} within about a
 * second, with the interrupt status set again. A command past its timeout is stopped the same way and ends
 * {@link SshOutcome#TIMED_OUT}. Output that arrived before either is delivered to the sink. Servers may refuse to
 * deliver signals (OpenSSH refuses them for root logins); the channel is then closed at once and the error text
 * says the remote process may still be running. Thread-safe.
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
                channel = SignallableExec.create(lease.session(), spec.command(),
                        spec.env() == null ? Map.of() : spec.env());
                channel.open().verify(config.connectTimeout());
            } catch (IOException | RuntimeException e) {
                if (channel != null) {
                    channel.close(false);
                }
                if (e instanceof InterruptedIOException || Thread.currentThread().isInterrupted()
                        || cancelled.getAsBoolean()) {
                    lease.close();
                    Thread.currentThread().interrupt();
                    return cancelledBeforeStart();
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

    private static ExecResult cancelledBeforeStart() {
        return ExecResult.failure(SshOutcome.CANCELLED, "cancelled before the command started");
    }

    private ExecResult run(SignallableExec channel, ExecSpec spec, OutputSink sink, long deadline,
            BooleanSupplier cancelRequested) {
        CompletableFuture<Void> closed = new CompletableFuture<>();
        channel.addCloseFutureListener(f -> closed.complete(null));
        Thread out = Thread.ofVirtual().name("ssh-stdout").start(() -> pump(channel.getInvertedOut(),
                OutputSink.Stream.STDOUT, sink));
        Thread err = Thread.ofVirtual().name("ssh-stderr").start(() -> pump(channel.getInvertedErr(),
                OutputSink.Stream.STDERR, sink));
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
        String stopped = finished ? null : stop(channel, closed);
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
            return ExecResult.failure(SshOutcome.TIMED_OUT,
                    "command still running after " + spec.timeout() + "; " + stopped);
        }
        Integer status = channel.getExitStatus();
        String signal = channel.getExitSignal();
        if (signal != null) {
            return new ExecResult(SshOutcome.FAILED, status, signal, "killed by signal " + signal);
        }
        if (status == null) {
            boolean sessionLost = !channel.getSession().isOpen() || channel.getSession().isClosing();
            return ExecResult.failure(SshOutcome.FAILED, sessionLost
                    ? "connection lost while the command was running"
                    : "channel closed without an exit status");
        }
        return new ExecResult(status == 0 ? SshOutcome.SUCCEEDED : SshOutcome.FAILED, status, null,
                status == 0 ? null : "exit code " + status);
    }

    /**
     * Ends a command that is still running: TERM, then KILL, then a channel close the server sees, then a local
     * close. Each step waits briefly for the channel to close by itself, which keeps the output that was still in
     * flight. A server that refuses signals (OpenSSH does for root logins) gets the close at once; the remote
     * process then lives on until it writes to its closed output or ends. Ignores interrupts (a cancel is what
     * brought us here) and restores them for the caller.
     *
     * @return what happened, for the run's error text
     */
    private static String stop(SignallableExec channel, CompletableFuture<Void> closed) {
        CompletableFuture<Boolean> term = channel.signal("TERM");
        CompletableFuture<Void> refused = term.thenCompose(
                delivered -> delivered ? new CompletableFuture<Void>() : CompletableFuture.<Void>completedFuture(null));
        awaitQuietly(CompletableFuture.anyOf(closed, refused), TERM_GRACE);
        if (closed.isDone()) {
            return "the command ended on SIGTERM";
        }
        boolean signalRefused = refused.isDone();
        if (!signalRefused) {
            channel.signal("KILL");
        }
        // A graceful close sends SSH_MSG_CHANNEL_CLOSE; close(true) alone would leave the server's channel open.
        channel.close(false);
        if (!awaitQuietly(closed, CLOSE_GRACE)) {
            channel.close(true);
        }
        return signalRefused
                ? "the server refused to signal the command (OpenSSH does for root logins), so it may still be"
                        + " running on the host; its channel was closed"
                : "the command was sent SIGTERM, then SIGKILL, and its channel was closed";
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

    private static void pump(InputStream in, OutputSink.Stream stream, OutputSink sink) {
        Utf8Chunker chunker = new Utf8Chunker();
        byte[] buf = new byte[READ_BUFFER];
        try (in) {
            int n;
            while ((n = in.read(buf)) != -1) {
                if (n > 0) {
                    byte[] chunk = chunker.feed(buf, n);
                    if (chunk.length > 0) {
                        sink.chunk(stream, chunk);
                    }
                }
            }
        } catch (IOException e) {
            LOG.debugf("%s ended: %s", stream, e.getMessage());
        } finally {
            byte[] rest = chunker.flush();
            if (rest.length > 0) {
                sink.chunk(stream, rest);
            }
            sink.end(stream);
        }
    }
}
