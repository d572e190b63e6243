package dev.dispatch.worker;

import dev.dispatch.messaging.OutputChunkPublisher;
import dev.dispatch.messaging.OutputChunkEvent;
import dev.dispatch.job.ClaimedRun;
import dev.dispatch.job.RunResult;
import dev.dispatch.ssh.OutputSink;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

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
    private final List<CompletableFuture<Void>> sent = new ArrayList<>();
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
        OutputChunkEvent chunk = new OutputChunkEvent(run.jobId(), run.hostName(), run.attempt(), stream.wireName(),
                seq++, text, bytes, eof);
        CompletableFuture<Void> acked = publisher.publish(run.tenantId(), chunk);
        acked.whenComplete((ok, e) -> inFlightBytes.release(permits));
        sent.add(acked);
    }

    private StreamCapture capture(Stream stream) {
        return stream == Stream.STDOUT ? stdout : stderr;
    }

    /**
     * Waits until the broker acknowledged every chunk; false if one failed or the wait timed out. A cancel (interrupt)
     * does not cut the wait short, so a cancelled run still publishes its output before its result.
     */
    boolean awaitPublished(Duration timeout) {
        CompletableFuture<?>[] all;
        synchronized (this) {
            all = sent.toArray(CompletableFuture[]::new);
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    CompletableFuture.allOf(all).get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                    return true;
                } catch (InterruptedException e) {
                    interrupted = true;
                } catch (Exception e) {
                    return false;
                }
            }
        } finally {
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
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(data))
                    .toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }
}
