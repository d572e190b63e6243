package dev.dispatch.messaging;

import java.time.Instant;

/**
 * A signed statement of a tenant's audit chain head, published on {@code dispatch.audit-checkpoints.v1} (key: tenant)
 * through the outbox: the tenant's record number {@code seq} had chain value {@code head} (hex). {@code signature}
 * (hex) is an HMAC over all other fields with a subkey of {@code dispatch.audit.hmac-key}, so neither the database nor
 * a Kafka producer without the key can forge one.
 */
public record AuditCheckpointEvent(String tenant, long seq, String head, Instant at, String signature) {}
