package dev.dispatch.ssh;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/** Keeps both output streams in memory and counts end-of-stream calls; for small outputs in tests. */
final class CollectingSink implements OutputSink {
    private final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    private final ByteArrayOutputStream stderr = new ByteArrayOutputStream();
    private int ended;

    @Override
    public synchronized void chunk(Stream stream, byte[] data) {
        (stream == Stream.STDOUT ? stdout : stderr).writeBytes(data);
    }

    @Override
    public synchronized void end(Stream stream) {
        ended++;
    }

    synchronized String stdout() {
        return stdout.toString(StandardCharsets.UTF_8);
    }

    synchronized String stderr() {
        return stderr.toString(StandardCharsets.UTF_8);
    }

    synchronized int ended() {
        return ended;
    }
}
