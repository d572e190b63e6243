package dev.dispatch.audit;

import io.quarkus.runtime.Startup;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The audit HMAC key from {@link AuditConfig#hmacKey()}, split into one subkey for the row chain and one for
 * checkpoints, so a value computed for one purpose is never valid for the other. The key never leaves this class
 * and is never logged. Thread-safe.
 */
@Startup
@ApplicationScoped
public class AuditKey {
    private static final String ALGORITHM = "HmacSHA256";
    private final SecretKeySpec chain;
    private final SecretKeySpec checkpoint;

    public AuditKey(AuditConfig config) {
        byte[] raw;
        try {
            raw = Base64.getDecoder().decode(config.hmacKey().strip());
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("dispatch.audit.hmac-key is not valid base64");
        }
        if (raw.length < 32) {
            throw new IllegalStateException(
                    "dispatch.audit.hmac-key must be at least 32 bytes (base64), got " + raw.length);
        }
        SecretKeySpec master = new SecretKeySpec(raw, ALGORITHM);
        this.chain = new SecretKeySpec(derive(master, "dispatch-audit-chain-v2"), ALGORITHM);
        this.checkpoint = new SecretKeySpec(derive(master, "dispatch-audit-checkpoint-v1"), ALGORITHM);
    }

    /** A fresh MAC keyed for audit rows. */
    Mac chainMac() {
        return mac(chain);
    }

    /** A fresh MAC keyed for checkpoints. */
    Mac checkpointMac() {
        return mac(checkpoint);
    }

    private static byte[] derive(SecretKeySpec master, String purpose) {
        return mac(master).doFinal(purpose.getBytes(StandardCharsets.UTF_8));
    }

    private static Mac mac(SecretKeySpec key) {
        try {
            Mac mac = Mac.getInstance(ALGORITHM);
            mac.init(key);
            return mac;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
    }
}
