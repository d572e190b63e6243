package dev.dispatch.job;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Embeddable;
import jakarta.persistence.EmbeddedId;
import jakarta.persistence.Entity;
import jakarta.persistence.Table;
import java.io.Serializable;
import java.util.UUID;

/** The stored (capped) output of one stream of a host run. */
@Entity
@Table(name = "run_output")
public class RunOutput extends PanacheEntityBase {
    @EmbeddedId
    public Key key;

    @Column(nullable = false)
    public byte[] data;

    @Column(name = "total_bytes", nullable = false)
    public long totalBytes;

    @Column(nullable = false)
    public boolean truncated;

    /** Run id and stream name ({@code stdout} or {@code stderr}). */
    @Embeddable
    public record Key(
            @Column(name = "run_id") UUID runId,
            @Column(name = "stream") String stream) implements Serializable {}
}
