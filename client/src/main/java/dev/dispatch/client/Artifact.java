package dev.dispatch.client;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/** An uploaded artifact of the tenant, content-addressed by its SHA-256 (hex). {@code size} in bytes. */
@JsonIgnoreProperties(ignoreUnknown = true)
public record Artifact(String sha256, long size, String createdAt) {}
