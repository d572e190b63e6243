package dev.dispatch.worker;

import dev.dispatch.job.RunResult;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Keeps the head and tail of one output stream within a fixed budget, counting every byte; the middle of a long
 * output is replaced by a marker. Memory grows with the output up to the budget, never beyond: a run that prints a
 * line costs bytes, not the budget (hundreds of runs at once would otherwise pin the budget each). Not thread-safe:
 * one instance per stream, fed by that stream's reader.
 */
final class StreamCapture {
    private static final byte[] EMPTY = new byte[0];

    private final int headLimit;
    private final int tailLimit;
    private final ByteArrayOutputStream head = new ByteArrayOutputStream(0);
    private byte[] tail = EMPTY;
    private long tailWritten;
    private long total;
    private int chunks;

    StreamCapture(int limit) {
        this.headLimit = limit / 2;
        this.tailLimit = limit - headLimit;
    }

    void add(byte[] data) {
        total += data.length;
        chunks++;
        int offset = 0;
        if (head.size() < headLimit) {
            int n = Math.min(headLimit - head.size(), data.length);
            head.write(data, 0, n);
            offset = n;
        }
        if (offset < data.length) {
            growTail(data.length - offset);
        }
        for (int i = offset; i < data.length; i++) {
            tail[(int) (tailWritten++ % tailLimit)] = data[i];
        }
    }

    /** Until the ring first wraps, index == tailWritten: grow (doubling, capped at the budget) to fit what comes. */
    private void growTail(int incoming) {
        if (tail.length == tailLimit || tailWritten + incoming <= tail.length) {
            return;
        }
        long needed = Math.min(tailLimit, tailWritten + incoming);
        tail = Arrays.copyOf(tail, (int) Math.min(tailLimit, Math.max(needed, 2L * tail.length)));
    }

    /** Counts a chunk that carried no bytes (the end-of-stream marker). */
    void countChunk() {
        chunks++;
    }

    RunResult.StoredStream stored() {
        boolean truncated = tailWritten > tailLimit;
        int length = (int) Math.min(tailWritten, tailLimit);
        ByteArrayOutputStream out = new ByteArrayOutputStream(head.size() + length + (truncated ? 64 : 0));
        out.writeBytes(head.toByteArray());
        if (truncated) {
            long cut = total - head.size() - tailLimit;
            out.writeBytes(("\n[... " + cut + " bytes cut ...]\n").getBytes(StandardCharsets.UTF_8));
        }
        int start = (int) ((tailWritten - length) % tailLimit);
        for (int i = 0; i < length; i++) {
            out.write(tail[(start + i) % tailLimit]);
        }
        return new RunResult.StoredStream(out.toByteArray(), total, truncated, chunks);
    }
}
