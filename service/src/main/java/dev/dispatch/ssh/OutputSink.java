package dev.dispatch.ssh;

/**
 * Receives a command's output as it arrives. Chunks never split a UTF-8 sequence. Calls for one stream come from
 * one thread in order; stdout and stderr arrive on different threads. Blocking here slows the remote command
 * (SSH window back-pressure) instead of buffering without bound.
 */
public interface OutputSink {
    /** Output streams of a command. */
    enum Stream {
        STDOUT,
        STDERR;

        /** Lower-case wire name. */
        public String wireName() {
            return this == STDOUT ? "stdout" : "stderr";
        }
    }

    /** A chunk of output; {@code data} is owned by the sink. */
    void chunk(Stream stream, byte[] data);

    /** The stream ended; no more chunks follow for it. */
    void end(Stream stream);

    /** A sink that drops everything. */
    OutputSink DISCARD = new OutputSink() {
        @Override
        public void chunk(Stream stream, byte[] data) {}

        @Override
        public void end(Stream stream) {}
    };
}
