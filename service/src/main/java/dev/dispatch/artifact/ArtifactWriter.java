package dev.dispatch.artifact;

import java.io.IOException;
import java.io.OutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.UUID;
import javax.sql.DataSource;

/**
 * Streams new content into staged chunk rows (one short autocommit statement per chunk, so no transaction or
 * connection is held while the bytes arrive) and hashes it on the way. Obtained from
 * {@link ArtifactService#writer()}; end it with {@link ArtifactService#register} or {@link #abort()}.
 *
 * <p>Thread-safe: a transfer may still be writing from another thread when the caller aborts; {@link #abort()}
 * waits for that write, and later writes fail, so no chunk outlives an abort.
 */
public final class ArtifactWriter extends OutputStream {
    // Small enough that hundreds of concurrent transfers (each holding a chunk and the driver's copy) fit a worker.
    static final int CHUNK_SIZE = 256 << 10;

    private final DataSource dataSource;
    private final UUID id = UUID.randomUUID();
    private final MessageDigest digest;
    private final byte[] buf = new byte[CHUNK_SIZE];
    private int fill;
    private int seq;
    private long size;
    private boolean closed;
    private boolean kept;

    ArtifactWriter(DataSource dataSource) {
        this.dataSource = dataSource;
        try {
            this.digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Bytes written so far. */
    public synchronized long size() {
        return size;
    }

    @Override
    public synchronized void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public synchronized void write(byte[] b, int off, int len) throws IOException {
        if (closed) {
            throw new IOException("the artifact writer is closed");
        }
        digest.update(b, off, len);
        size += len;
        while (len > 0) {
            int n = Math.min(len, buf.length - fill);
            System.arraycopy(b, off, buf, fill, n);
            fill += n;
            off += n;
            len -= n;
            if (fill == buf.length) {
                flushChunk();
            }
        }
    }

    /** Drops every staged chunk; the writer is unusable afterwards. Idempotent. */
    public synchronized void abort() {
        if (kept || (closed && fill < 0)) {
            return;
        }
        closed = true;
        fill = -1;
        try (Connection c = dataSource.getConnection();
                PreparedStatement s = c.prepareStatement("delete from artifact_chunk where artifact_id = ?")) {
            s.setObject(1, id);
            s.executeUpdate();
        } catch (SQLException e) {
            throw new IllegalStateException("cannot drop staged artifact chunks: " + e.getMessage(), e);
        }
    }

    /** Writes the last chunk and closes; returns what was staged. */
    synchronized Staged finish() throws IOException {
        if (closed) {
            throw new IOException("the artifact writer is closed");
        }
        if (fill > 0) {
            flushChunk();
        }
        closed = true;
        return new Staged(id, HexFormat.of().formatHex(digest.digest()), size);
    }

    /** The staged chunks now belong to an artifact (or were dropped with the registration); abort does nothing. */
    synchronized void kept() {
        kept = true;
    }

    /** Staged content: chunk rows under {@code id}, not yet an artifact. */
    record Staged(UUID id, String sha256, long size) {}

    private void flushChunk() throws IOException {
        try (Connection c = dataSource.getConnection();
                PreparedStatement s =
                        c.prepareStatement("insert into artifact_chunk (artifact_id, seq, data) values (?, ?, ?)")) {
            s.setObject(1, id);
            s.setInt(2, seq);
            s.setBytes(3, fill == buf.length ? buf : Arrays.copyOf(buf, fill));
            s.executeUpdate();
        } catch (SQLException e) {
            throw new IOException("cannot store artifact content: " + e.getMessage(), e);
        }
        seq++;
        fill = 0;
    }
}
