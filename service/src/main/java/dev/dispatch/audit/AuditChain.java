package dev.dispatch.audit;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Map;
import javax.crypto.Mac;

/**
 * The values that chain a tenant's audit rows, each over the previous row's value and this row's content, so editing,
 * deleting or reordering any row breaks every later value. Thread-safe.
 *
 * <p>Version 2 (every row written since V13): HMAC-SHA256 with the key from {@link AuditKey} over a length-prefixed
 * encoding of every field (a 4-byte big-endian length, -1 for null, then the UTF-8 bytes), so no field value, however
 * it was chosen (the actor comes from the token), can move bytes into a neighbouring field. Version 1 (rows written
 * before): unkeyed SHA-256 over the fields joined by a unit separator; still checked, but anyone with write access to
 * the table can recompute it.
 */
final class AuditChain {
    /** Rows written before V13. */
    static final short LEGACY = 1;
    /** Keyed, length-prefixed rows. */
    static final short KEYED = 2;

    private static final ObjectMapper CANONICAL =
            new ObjectMapper().configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true);

    private AuditChain() {}

    /** The chain value of {@code e} following {@code previous} (null for a tenant's first row), for its version. */
    static byte[] value(AuditKey key, byte[] previous, AuditEvent e) {
        return e.chainVersion == LEGACY ? legacyHash(previous, e) : hmac(key.chainMac(), previous, e);
    }

    static byte[] hmac(Mac mac, byte[] previous, AuditEvent e) {
        Fields f = new Fields();
        f.add("dispatch-audit-v2")
                .add(previous)
                .add(e.tenantId)
                .add(e.seq)
                .add(e.at.getEpochSecond())
                .add(e.at.getNano())
                .add(e.actor)
                .add(e.action)
                .add(e.target)
                .add(e.outcome)
                .add(e.source)
                .add(e.details == null ? null : canonical(e.details));
        return mac.doFinal(f.bytes());
    }

    static byte[] legacyHash(byte[] previous, AuditEvent e) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            if (previous != null) {
                sha.update(previous);
            }
            String details = e.details == null ? "" : canonical(e.details);
            String content = String.join(
                    "\u001f",
                    e.tenantId,
                    Long.toString(e.at.getEpochSecond()),
                    Integer.toString(e.at.getNano()),
                    e.actor,
                    e.action,
                    String.valueOf(e.target),
                    e.outcome,
                    String.valueOf(e.source),
                    details);
            return sha.digest(content.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException ex) {
            throw new IllegalStateException(ex);
        }
    }

    private static String canonical(Map<String, Object> details) {
        try {
            return CANONICAL.writeValueAsString(CANONICAL.convertValue(details, Map.class));
        } catch (JsonProcessingException ex) {
            throw new IllegalStateException("audit details not serialisable", ex);
        }
    }

    /** Length-prefixed fields: the encoding is injective whatever bytes the values hold. */
    static final class Fields {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream(256);

        Fields add(String value) {
            return add(value == null ? null : value.getBytes(StandardCharsets.UTF_8));
        }

        Fields add(long value) {
            return add(ByteBuffer.allocate(Long.BYTES).putLong(value).array());
        }

        Fields add(byte[] value) {
            out.writeBytes(ByteBuffer.allocate(Integer.BYTES)
                    .putInt(value == null ? -1 : value.length)
                    .array());
            if (value != null) {
                out.writeBytes(value);
            }
            return this;
        }

        byte[] bytes() {
            return out.toByteArray();
        }
    }
}
