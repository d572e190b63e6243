package dev.dispatch.ssh;

import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.apache.sshd.client.channel.ChannelExec;
import org.apache.sshd.client.channel.ClientChannelEvent;
import org.apache.sshd.common.SshConstants;
import org.apache.sshd.common.util.buffer.Buffer;
import org.jboss.logging.Logger;

/**
 * Runs one command on one host over a pooled session: stdin then EOF, stdout and stderr streamed to a sink with
 * window back-pressure, a hard timeout, exit code or signal. Blocking; meant for virtual threads.
 */
@ApplicationScoped
public class CommandRunner {
    private static final Logger LOG = Logger.getLogger(CommandRunner.class);
    private static final int READ_BUFFER = 32 * 1024;
    /** MINA's waitFor ignores interrupts, so waits are sliced to notice a cancel within this many ms. */
    private static final long CANCEL_CHECK_MILLIS = 100;

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
            return Thread.currentThread().isInterrupted() ? cancelledBeforeStart() : e.toResult();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return cancelledBeforeStart();
        }
    }

    /** Runs {@code spec} on the target, streaming output into {@code sink}. Never throws for remote failures. */
    public ExecResult exec(SshTarget target, ExecSpec spec, OutputSink sink) {
        return exec(target, spec, sink, () -> false);
    }

    /**
     * Runs {@code spec}; once {@code cancelled} answers true (checked every 100 ms) or the thread is interrupted, the
     * remote command is signalled, its channel closed, and the result is CANCELLED.
     */
    public ExecResult exec(SshTarget target, ExecSpec spec, OutputSink sink, BooleanSupplier cancelled) {
        long deadline = System.nanoTime() + spec.timeout().toNanos();
        for (int attempt = 1; ; attempt++) {
            SshSessionPool.Lease lease;
            try {
                lease = pool.lease(target);
            } catch (SshFailureException e) {
                boolean stop = cancelled.getAsBoolean() || Thread.currentThread().isInterrupted();
                return stop ? cancelledBeforeStart() : e.toResult();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return cancelledBeforeStart();
            }
            ChannelExec channel;
            try {
                channel = lease.session().createExecChannel(spec.command(), StandardCharsets.UTF_8, null,
                        spec.env() == null ? java.util.Map.of() : spec.env());
                channel.open().verify(config.connectTimeout());
            } catch (IOException | RuntimeException e) {
                lease.close();
                if (cancelled.getAsBoolean() || Thread.currentThread().isInterrupted()) {
                    return cancelledBeforeStart();
                }
                lease.evict();
                if (attempt == 1) {
                    LOG.debugf("pooled session to %s unusable (%s); reconnecting", target, e.getMessage());
                    continue;
                }
                return ExecResult.failure(SshOutcome.UNREACHABLE, "cannot open a channel: " + e.getMessage());
            }
            try (lease) {
                return run(channel, spec, sink, deadline, cancelled);
            }
        }
    }

    private ExecResult run(ChannelExec channel, ExecSpec spec, OutputSink sink, long deadline,
            BooleanSupplier cancelled) {
        Thread out = Thread.ofVirtual().name("ssh-stdout").start(() -> pump(channel.getInvertedOut(),
                OutputSink.Stream.STDOUT, sink));
        Thread err = Thread.ofVirtual().name("ssh-stderr").start(() -> pump(channel.getInvertedErr(),
                OutputSink.Stream.STDERR, sink));
        try {
            try (OutputStream stdin = channel.getInvertedIn()) {
                if (spec.input() != null && spec.input().length > 0) {
                    stdin.write(spec.input());
                    stdin.flush();
                }
            } catch (IOException e) {
                LOG.debugf("stdin not fully delivered: %s", e.getMessage());
            }
            Set<ClientChannelEvent> events = Set.of();
            while (!events.contains(ClientChannelEvent.CLOSED) && System.nanoTime() < deadline) {
                if (cancelled.getAsBoolean() || Thread.currentThread().isInterrupted()) {
                    throw new InterruptedException("cancelled");
                }
                long slice = Math.min(CANCEL_CHECK_MILLIS,
                        Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
                events = channel.waitFor(EnumSet.of(ClientChannelEvent.CLOSED), slice);
            }
            if (!events.contains(ClientChannelEvent.CLOSED)) {
                signal(channel, "KILL");
                channel.close(true);
                joinReaders(out, err);
                return ExecResult.failure(SshOutcome.TIMED_OUT,
                        "command still running after " + spec.timeout() + "; channel closed");
            }
            joinReaders(out, err);
            Integer status = channel.getExitStatus();
            String signal = channel.getExitSignal();
            if (signal != null) {
                return new ExecResult(SshOutcome.FAILED, status, signal, "killed by signal " + signal);
            }
            if (status == null) {
                return ExecResult.failure(SshOutcome.FAILED, "channel closed without an exit status");
            }
            return new ExecResult(status == 0 ? SshOutcome.SUCCEEDED : SshOutcome.FAILED, status, null,
                    status == 0 ? null : "exit code " + status);
        } catch (InterruptedException e) {
            signal(channel, "TERM");
            channel.close(true);
            joinReaders(out, err);
            Thread.currentThread().interrupt();
            return ExecResult.failure(SshOutcome.CANCELLED, "cancelled while running");
        } finally {
            if (!channel.isClosed()) {
                channel.close(true);
            }
        }
    }

    private static ExecResult cancelledBeforeStart() {
        return ExecResult.failure(SshOutcome.CANCELLED, "cancelled before the command started");
    }

    /** Waits (up to 5 s, ignoring interrupts) for the readers to deliver what they read, so no chunk trails the result. */
    private static void joinReaders(Thread... readers) {
        boolean interrupted = Thread.interrupted();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        for (Thread t : readers) {
            while (t.isAlive() && System.nanoTime() < deadline) {
                try {
                    t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
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

    /** Asks the server to signal the remote process (RFC 4254 §6.9); servers may ignore it. */
    private static void signal(ChannelExec channel, String name) {
        try {
            Buffer buffer = channel.getSession().createBuffer(SshConstants.SSH_MSG_CHANNEL_REQUEST, 32);
            buffer.putUInt(channel.getRecipient());
            buffer.putString("signal");
            buffer.putBoolean(false);
            buffer.putString(name);
            channel.writePacket(buffer);
        } catch (IOException | RuntimeException e) {
            LOG.debugf("signal %s not sent: %s", name, e.getMessage());
        }
    }
}
