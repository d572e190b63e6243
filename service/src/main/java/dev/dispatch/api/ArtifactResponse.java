package dev.dispatch.api;

import dev.dispatch.artifact.Artifact;
import java.time.Instant;

/** A stored artifact: its SHA-256 (its name), size in bytes and when it was first stored. */
public record ArtifactResponse(String sha256, long size, Instant createdAt) {

    /** Maps an artifact. */
    public static ArtifactResponse from(Artifact artifact) {
        return new ArtifactResponse(artifact.sha256(), artifact.size(), artifact.createdAt());
    }
}
