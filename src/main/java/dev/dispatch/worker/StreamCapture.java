package dev.dispatch.worker;

import dev.dispatch.job.RunResult;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Keeps the head and tail of one output stream within a fixed budget, counting every byte; the middle of a long
 * output is replaced by a marker. Not thread-safe: one instance per stream, fed by that stream's reader.
 */
final class StreamCapture {
    private final int headLimit;
    private final byte[] tail;
    private final ByteArrayOutputStream head = new ByteArrayOutputStream();
    private long tailWritten;
    private long total;
    private int chunks;

    StreamCapture(int limit) {
        this.headLimit = limit / 2;
        this.tail = new byte[limit - headLimit];
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
        for (int i = offset; i < data.length; i++) {
            tail[(int) (tailWritten++ % tail.length)] = data[i];
        }
    }

    /** Counts a chunk that carried no bytes (the end-of-stream marker). */
    void countChunk() {
        chunks++;
    }

    RunResult.StoredStream stored() {
        boolean truncated = tailWritten > tail.length;
        ByteArrayOutputStream out = new ByteArrayOutputStream(head.size() + tail.length + 64);
        out.writeBytes(head.toByteArray());
        if (truncated) {
            long cut = total - head.size() - tail.length;
            out.writeBytes(("\n[... " + cut + " bytes cut ...]\n").getBytes(StandardCharsets.UTF_8));
        }
        int length = (int) Math.min(tailWritten, tail.length);
        int start = (int) ((tailWritten - length) % tail.length);
        for (int i = 0; i < length; i++) {
            out.write(tail[(start + i) % tail.length]);
        }
        return new RunResult.StoredStream(out.toByteArray(), total, truncated, chunks);
    }
}
