package dev.dispatch.artifact;

import io.quarkus.runtime.configuration.MemorySize;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** Limits of the artifact store (content-addressed files per tenant). */
@ConfigMapping(prefix = "dispatch.artifacts")
public interface ArtifactConfig {
    /**
     * Largest artifact accepted by {@code POST /artifacts}, e.g. {@code 256M}; a bigger upload is refused with 413
     * (the HTTP server's own {@code quarkus.http.limits.max-body-size} must be at least this). Default 256M.
     */
    @WithDefault("256M")
    MemorySize maxSize();
}
