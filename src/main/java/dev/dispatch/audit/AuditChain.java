package dev.dispatch.audit;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Map;

/**
 * The hash that chains a tenant's audit rows: SHA-256 over the previous row's hash and a canonical encoding of this
 * row (fields separated by a unit separator, details as JSON with sorted keys), so editing, deleting or reordering
 * any row breaks every later hash. Thread-safe.
 */
final class AuditChain {
    private static final ObjectMapper CANONICAL = new ObjectMapper()
            .configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true);

    private AuditChain() {
    }

    static byte[] hash(byte[] previous, AuditEvent e) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            if (previous != null) {
                sha.update(previous);
            }
            String details;
            try {
                details = e.details == null ? "" : CANONICAL.writeValueAsString(CANONICAL.convertValue(e.details,
                        Map.class));
            } catch (JsonProcessingException ex) {
                throw new IllegalStateException("audit details not serialisable", ex);
            }
            String content = String.join("\u001f", e.tenantId, Long.toString(e.at.getEpochSecond()),
                    Integer.toString(e.at.getNano()), e.actor, e.action, String.valueOf(e.target), e.outcome,
                    String.valueOf(e.source), details);
            return sha.digest(content.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException ex) {
            throw new IllegalStateException(ex);
        }
    }
}
