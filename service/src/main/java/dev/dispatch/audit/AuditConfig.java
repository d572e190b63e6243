package dev.dispatch.audit;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import jakarta.validation.constraints.Min;
import java.time.Duration;

/** How the audit trail is sealed: the HMAC key kept outside the database and how often the chain head is published. */
@ConfigMapping(prefix = "dispatch.audit")
public interface AuditConfig {
    /**
     * Base64 of at least 32 random bytes (env {@code DISPATCH_AUDIT_HMAC_KEY}): the key of the audit rows' HMAC chain
     * and of the checkpoints on {@code dispatch.audit-checkpoints.v1}. Required; the service refuses to start without
     * it. Keep it out of the database and stable: with another key every existing row fails verification.
     */
    String hmacKey();

    /** A tenant's chain head is published at least every this many of its records. Default 100. */
    @WithDefault("100")
    @Min(1)
    int checkpointEvery();

    /**
     * A head not yet published is published within this long (the scheduler's period,
     * {@code dispatch.audit.checkpoint-interval}). Default 5s.
     */
    @WithDefault("5s")
    Duration checkpointInterval();

    /** How long a verification may take to read the checkpoint topic to its end. Default 15s. */
    @WithDefault("15s")
    Duration checkpointReadTimeout();
}
