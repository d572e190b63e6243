package dev.dispatch.artifact;

/** No artifact with that SHA-256 in the caller's tenant (another tenant's artifact looks the same). */
public class ArtifactNotFoundException extends RuntimeException {
    public ArtifactNotFoundException(String sha256) {
        super("no artifact " + sha256);
    }
}
