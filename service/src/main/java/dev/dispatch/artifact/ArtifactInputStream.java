package dev.dispatch.artifact;

import java.io.IOException;
import java.io.InputStream;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import javax.sql.DataSource;

/**
 * Reads an artifact chunk by chunk, each with one short statement on a connection returned at once, so at most
 * one chunk (256 KiB) is in memory and no connection is held between reads. Not thread-safe.
 */
final class ArtifactInputStream extends InputStream {
    private final DataSource dataSource;
    private final Artifact artifact;
    private byte[] chunk = new byte[0];
    private int pos;
    private int seq;
    private long consumed;

    ArtifactInputStream(DataSource dataSource, Artifact artifact) {
        this.dataSource = dataSource;
        this.artifact = artifact;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) == -1 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        if (pos == chunk.length && !next()) {
            return -1;
        }
        int n = Math.min(len, chunk.length - pos);
        System.arraycopy(chunk, pos, b, off, n);
        pos += n;
        return n;
    }

    private boolean next() throws IOException {
        while (pos == chunk.length) {
            if (consumed >= artifact.size()) {
                return false;
            }
            try (Connection c = dataSource.getConnection();
                    PreparedStatement s =
                            c.prepareStatement("select data from artifact_chunk where artifact_id = ? and seq = ?")) {
                s.setObject(1, artifact.id());
                s.setInt(2, seq);
                try (ResultSet rs = s.executeQuery()) {
                    if (!rs.next()) {
                        throw new IOException("artifact " + artifact.sha256() + " is missing chunk " + seq);
                    }
                    chunk = rs.getBytes(1);
                }
            } catch (SQLException e) {
                throw new IOException("cannot read artifact " + artifact.sha256() + ": " + e.getMessage(), e);
            }
            seq++;
            pos = 0;
            consumed += chunk.length;
        }
        return true;
    }
}
