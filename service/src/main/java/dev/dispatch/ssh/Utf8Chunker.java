package dev.dispatch.ssh;

import java.util.Arrays;

/**
 * Cuts a byte stream into chunks that never end inside a UTF-8 sequence: an incomplete trailing sequence is held
 * back (at most 3 bytes) and prepended to the next chunk. Bytes that are not UTF-8 pass through unchanged.
 * Not thread-safe: one instance per stream.
 */
public final class Utf8Chunker {
    private byte[] pending = new byte[0];

    /** Returns the bytes of {@code buf[0..len)} (plus held-back bytes) that end on a sequence boundary. */
    public byte[] feed(byte[] buf, int len) {
        byte[] all = new byte[pending.length + len];
        System.arraycopy(pending, 0, all, 0, pending.length);
        System.arraycopy(buf, 0, all, pending.length, len);
        int cut = boundary(all);
        pending = Arrays.copyOfRange(all, cut, all.length);
        return cut == all.length ? all : Arrays.copyOf(all, cut);
    }

    /** Whatever is still held back, at end of stream. */
    public byte[] flush() {
        byte[] rest = pending;
        pending = new byte[0];
        return rest;
    }

    /** Length of the longest prefix that does not end inside a multi-byte sequence. */
    static int boundary(byte[] b) {
        int n = b.length;
        for (int back = 1; back <= Math.min(3, n); back++) {
            int c = b[n - back] & 0xFF;
            if ((c & 0xC0) == 0x80) {
                continue;
            }
            int need = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 1;
            return need > back ? n - back : n;
        }
        return n;
    }
}
