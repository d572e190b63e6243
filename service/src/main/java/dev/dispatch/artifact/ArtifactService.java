package dev.dispatch.artifact;

import dev.dispatch.audit.AuditService;
import dev.dispatch.tenancy.Caller;
import dev.dispatch.tenancy.TenantService;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;
import javax.sql.DataSource;
import org.jboss.logging.Logger;

/**
 * The artifact store: files per tenant, named by their SHA-256, kept in PostgreSQL as 256 KiB chunk rows. Content
 * streams in and out chunk by chunk (never a whole file in memory) and no transaction is held while bytes travel:
 * chunks are staged first and become an artifact in one short transaction, together with its audit record.
 * A tenant only ever sees its own artifacts. Thread-safe.
 */
@ApplicationScoped
public class ArtifactService {
    private static final Logger LOG = Logger.getLogger(ArtifactService.class);
    private static final Pattern SHA256 = Pattern.compile("[0-9a-fA-F]{64}");
    private static final int IO_BUFFER = 64 * 1024;

    private final DataSource dataSource;
    private final ArtifactConfig config;
    private final TenantService tenants;
    private final AuditService audit;

    public ArtifactService(DataSource dataSource, ArtifactConfig config, TenantService tenants, AuditService audit) {
        this.dataSource = dataSource;
        this.config = config;
        this.tenants = tenants;
        this.audit = audit;
    }

    /** A stored artifact and whether this call created it (false: the tenant already had that content). */
    public record Stored(Artifact artifact, boolean created) {}

    /** True when {@code sha256} is 64 hex digits (either case). */
    public static boolean isSha256(String sha256) {
        return sha256 != null && SHA256.matcher(sha256).matches();
    }

    /** Largest artifact accepted, in bytes. */
    public long maxSize() {
        return config.maxSize().asLongValue();
    }

    /**
     * Stores {@code content} as an artifact of the caller's tenant, streaming, and audits it ({@code artifact.upload}).
     *
     * @throws ArtifactTooLargeException past {@link ArtifactConfig#maxSize()}; nothing is kept then
     * @throws UncheckedIOException when the content cannot be read (the client went away)
     */
    public Stored upload(Caller caller, InputStream content) {
        long limit = maxSize();
        ArtifactWriter writer = writer();
        try {
            byte[] buf = new byte[IO_BUFFER];
            int n;
            while ((n = content.read(buf)) != -1) {
                if (writer.size() + n > limit) {
                    throw new ArtifactTooLargeException(limit);
                }
                writer.write(buf, 0, n);
            }
            return register(caller.tenantId(), caller, writer);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            writer.abort();
        }
    }

    /** A writer staging new content; end it with {@link #register} or {@link ArtifactWriter#abort()}. */
    public ArtifactWriter writer() {
        return new ArtifactWriter(dataSource);
    }

    /**
     * Turns what {@code writer} staged into an artifact of the tenant (or, when the tenant already has that content,
     * drops the staged copy), in one transaction with its audit record when a caller is given.
     */
    public Stored register(String tenantId, Caller caller, ArtifactWriter writer) throws IOException {
        ArtifactWriter.Staged staged = writer.finish();
        Stored stored = QuarkusTransaction.requiringNew().call(() -> {
            tenants.ensureExists(tenantId);
            boolean created;
            try (Connection c = dataSource.getConnection()) {
                try (PreparedStatement s = c.prepareStatement("insert into artifact (id, tenant_id, sha256, size, "
                        + "created_by) values (?, ?, ?, ?, ?) on conflict (tenant_id, sha256) do nothing")) {
                    s.setObject(1, staged.id());
                    s.setString(2, tenantId);
                    s.setString(3, staged.sha256());
                    s.setLong(4, staged.size());
                    s.setString(5, caller == null ? "worker" : caller.subject());
                    created = s.executeUpdate() == 1;
                }
                if (!created) {
                    try (PreparedStatement s = c.prepareStatement("delete from artifact_chunk where artifact_id = ?")) {
                        s.setObject(1, staged.id());
                        s.executeUpdate();
                    }
                }
            }
            Artifact artifact = find(tenantId, staged.sha256()).orElseThrow();
            if (caller != null) {
                Map<String, Object> details = new LinkedHashMap<>();
                details.put("size", artifact.size());
                details.put("created", created);
                audit.record(
                        caller,
                        "artifact.upload",
                        "artifact/" + artifact.sha256(),
                        created ? "created" : "exists",
                        details);
            }
            return new Stored(artifact, created);
        });
        writer.kept();
        return stored;
    }

    /** The tenant's artifact with that SHA-256 (either case), if any. */
    public Optional<Artifact> find(String tenantId, String sha256) {
        if (!isSha256(sha256)) {
            return Optional.empty();
        }
        try (Connection c = dataSource.getConnection();
                PreparedStatement s = c.prepareStatement(
                        "select id, size, created_at from artifact " + "where tenant_id = ? and sha256 = ?")) {
            s.setString(1, tenantId);
            s.setString(2, sha256.toLowerCase(Locale.ROOT));
            try (ResultSet rs = s.executeQuery()) {
                if (!rs.next()) {
                    return Optional.empty();
                }
                Timestamp at = rs.getTimestamp(3);
                return Optional.of(new Artifact(
                        rs.getObject(1, UUID.class),
                        tenantId,
                        sha256.toLowerCase(Locale.ROOT),
                        rs.getLong(2),
                        at.toInstant()));
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot look up artifact: " + e.getMessage(), e);
        }
    }

    /**
     * The tenant's artifact.
     *
     * @throws ArtifactNotFoundException when the tenant has none with that SHA-256
     */
    public Artifact get(String tenantId, String sha256) {
        return find(tenantId, sha256).orElseThrow(() -> new ArtifactNotFoundException(sha256));
    }

    /**
     * A new stream over the artifact's content, read chunk by chunk; may be opened any number of times and from any
     * thread (each stream by one thread at a time). The caller closes it.
     */
    public InputStream open(Artifact artifact) {
        return new ArtifactInputStream(dataSource, artifact);
    }

    /** Drops chunks staged over a day ago that never became an artifact (their upload or fetch died midway). */
    @Scheduled(every = "1h", delayed = "10m", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void dropOrphanedChunks() {
        try (Connection c = dataSource.getConnection();
                PreparedStatement s = c.prepareStatement("delete from artifact_chunk k "
                        + "where k.created_at < now() - interval '1 day' "
                        + "and not exists (select 1 from artifact a where a.id = k.artifact_id)")) {
            int n = s.executeUpdate();
            if (n > 0) {
                LOG.infof("dropped %d orphaned artifact chunk(s)", n);
            }
        } catch (SQLException e) {
            LOG.warnf("dropping orphaned artifact chunks failed: %s", e.getMessage());
        }
    }
}
