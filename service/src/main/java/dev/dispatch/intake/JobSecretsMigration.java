package dev.dispatch.intake;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dispatch.inventory.CredentialCipher;
import dev.dispatch.job.JobRequest;
import dev.dispatch.job.JobSecrets;
import io.agroal.api.AgroalDataSource;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.jboss.logging.Logger;

/**
 * Seals the secrets of jobs stored before V12 (their {@code input}, {@code env} and {@code file.content} still in
 * the {@code request} jsonb), once, at startup, off the startup thread: each row in a short transaction batch, locked
 * with {@code SKIP LOCKED} so pods starting together share the work. Until a row is sealed, the API shows its digests
 * and the worker reads its secrets from the request, so nothing waits for this. Idempotent; a failed pass is retried
 * at the next start.
 */
@ApplicationScoped
public class JobSecretsMigration {
    private static final Logger LOG = Logger.getLogger(JobSecretsMigration.class);
    private static final int BATCH = 200;

    private final AgroalDataSource db;
    private final CredentialCipher cipher;
    private final ObjectMapper json;

    public JobSecretsMigration(AgroalDataSource db, CredentialCipher cipher, ObjectMapper json) {
        this.db = db;
        this.cipher = cipher;
        this.json = json;
    }

    void start(@Observes StartupEvent event) {
        Thread.ofVirtual().name("dispatch-job-secrets-migration").start(() -> {
            try {
                int sealed = sealAll();
                if (sealed > 0) {
                    LOG.infof("sealed the secrets of %d jobs stored before V12", sealed);
                }
            } catch (SQLException | IOException | RuntimeException e) {
                LOG.warnf(
                        "sealing the secrets of jobs stored before V12 is left to the next start: %s", e.getMessage());
            }
        });
    }

    /** Seals every job row that still holds secrets in its request; returns how many rows it rewrote. */
    public int sealAll() throws SQLException, IOException {
        int total = 0;
        for (int n = sealBatch(); n > 0; n = sealBatch()) {
            total += n;
        }
        return total;
    }

    private int sealBatch() throws SQLException, IOException {
        try (Connection c = db.getConnection()) {
            c.setAutoCommit(false);
            try {
                record Row(UUID id, String tenantId, String request) {}
                List<Row> rows = new ArrayList<>();
                // The predicate is the partial index's (?? is PgJDBC's escape for the jsonb ? operator).
                try (PreparedStatement s = c.prepareStatement("select id, tenant_id, request::text from job "
                                + "where secrets is null and (request ?? 'input' or request ?? 'env' "
                                + "or (request -> 'file') ?? 'content') limit " + BATCH + " for update skip locked");
                        ResultSet rs = s.executeQuery()) {
                    while (rs.next()) {
                        rows.add(new Row(rs.getObject(1, UUID.class), rs.getString(2), rs.getString(3)));
                    }
                }
                try (PreparedStatement u = c.prepareStatement("update job set request = cast(? as jsonb), "
                        + "secrets = ?, secret_digests = cast(? as jsonb) where id = ?")) {
                    for (Row row : rows) {
                        JobRequest request = json.readValue(row.request(), JobRequest.class);
                        JobSecrets secrets = JobSecrets.of(request);
                        u.setString(1, json.writeValueAsString(JobSecrets.strip(request)));
                        u.setBytes(
                                2,
                                secrets.isEmpty()
                                        ? null
                                        : cipher.encrypt(
                                                secrets.toJson(), JobSecrets.context(row.tenantId(), row.id())));
                        u.setString(3, secrets.isEmpty() ? null : json.writeValueAsString(secrets.digests()));
                        u.setObject(4, row.id());
                        u.addBatch();
                    }
                    u.executeBatch();
                }
                c.commit();
                return rows.size();
            } catch (IOException | SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        }
    }
}
