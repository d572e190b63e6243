package dev.dispatch.artifact;

import java.time.Instant;
import java.util.UUID;

/**
 * One stored file of a tenant, named by the SHA-256 of its content.
 *
 * @param id internal id naming its chunk rows
 * @param sha256 lower-case hex SHA-256 of the content
 * @param size content length in bytes
 */
public record Artifact(UUID id, String tenantId, String sha256, long size, Instant createdAt) {}
