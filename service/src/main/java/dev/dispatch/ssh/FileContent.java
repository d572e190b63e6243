package dev.dispatch.ssh;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * The content of a file to upload, readable more than once: every {@link #open()} starts a fresh stream from the
 * first byte. Content is streamed, never held in memory whole; {@code update} may open it twice (once to hash it
 * when no SHA-256 is given, once to send it).
 */
@FunctionalInterface
public interface FileContent {
    /** A new stream over the whole content; the caller closes it. */
    InputStream open() throws IOException;

    /** Content held in memory already (small inline files). */
    static FileContent of(byte[] bytes) {
        byte[] copy = bytes.clone();
        return () -> new ByteArrayInputStream(copy);
    }
}
