package dev.dispatch.worker;

import dev.dispatch.job.ClaimedRun;
import dev.dispatch.job.RunResult;
import dev.dispatch.messaging.OutputChunkEvent;
import dev.dispatch.messaging.OutputChunkPublisher;
import dev.dispatch.ssh.OutputSink;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The output sink of one host run: publishes every chunk to Kafka in {@code seq} order (one sequence across both
 * streams), keeps a capped copy for PostgreSQL, and blocks the SSH reader while too many bytes await broker acks.
 * Thread-safe for one stdout and one stderr reader.
 */
final class RunOutputCollector implements OutputSink {
    private final ClaimedRun run;
    private final OutputChunkPublisher publisher;
    private final Semaphore inFlightBytes;
    private final StreamCapture stdout;
    private final StreamCapture stderr;
    /** Chunks sent and not yet acknowledged, and whether any failed: O(1) however long the run prints. */
    private final AtomicLong unacked = new AtomicLong();

    private volatile boolean failed;
    private final ReentrantLock acks = new ReentrantLock();
    private final Condition settled = acks.newCondition();
    private long seq;

    RunOutputCollector(ClaimedRun run, OutputChunkPublisher publisher, Semaphore inFlightBytes, int storedLimit) {
        this.run = run;
        this.publisher = publisher;
        this.inFlightBytes = inFlightBytes;
        this.stdout = new StreamCapture(storedLimit);
        this.stderr = new StreamCapture(storedLimit);
    }

    @Override
    public void chunk(Stream stream, byte[] data) {
        int permits = Math.max(1, data.length);
        inFlightBytes.acquireUninterruptibly(permits);
        String text = utf8(data);
        publish(stream, text, text == null ? Base64.getEncoder().encodeToString(data) : null, false, permits);
        capture(stream).add(data);
    }

    @Override
    public void end(Stream stream) {
        inFlightBytes.acquireUninterruptibly(1);
        publish(stream, "", null, true, 1);
        capture(stream).countChunk();
    }

    private synchronized void publish(Stream stream, String text, String bytes, boolean eof, int permits) {
        OutputChunkEvent chunk = new OutputChunkEvent(
                run.jobId(), run.hostName(), run.attempt(), stream.wireName(), seq++, text, bytes, eof);
        unacked.incrementAndGet();
        CompletableFuture<Void> acked = publisher.publish(run.tenantId(), chunk);
        acked.whenComplete((ok, e) -> {
            inFlightBytes.release(permits);
            acknowledged(e != null);
        });
    }

    // On the producer's thread: must never wait for this collector's monitor, which publish holds while sending.
    private void acknowledged(boolean failure) {
        if (failure) {
            failed = true;
        }
        if (unacked.decrementAndGet() == 0 || failure) {
            acks.lock();
            try {
                settled.signalAll();
            } finally {
                acks.unlock();
            }
        }
    }

    private StreamCapture capture(Stream stream) {
        return stream == Stream.STDOUT ? stdout : stderr;
    }

    /**
     * Waits until the broker acknowledged every chunk; false if one failed or the wait timed out. A cancel (interrupt)
     * does not cut the wait short, so a cancelled run still publishes its output before its result.
     */
    boolean awaitPublished(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        boolean interrupted = false;
        acks.lock();
        try {
            while (unacked.get() > 0 && !failed) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                try {
                    settled.awaitNanos(left);
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            return !failed;
        } finally {
            acks.unlock();
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    synchronized RunResult.StoredStream stdout() {
        return stdout.stored();
    }

    synchronized RunResult.StoredStream stderr() {
        return stderr.stored();
    }

    private static String utf8(byte[] data) {
        try {
            return StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(data))
                    .toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }
}
