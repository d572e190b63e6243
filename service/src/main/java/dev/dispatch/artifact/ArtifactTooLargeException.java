package dev.dispatch.artifact;

/** An upload went past {@link ArtifactConfig#maxSize()}; nothing was stored. */
public class ArtifactTooLargeException extends RuntimeException {
    private final long limit;

    public ArtifactTooLargeException(long limit) {
        super("the artifact exceeds the limit of " + limit + " bytes");
        this.limit = limit;
    }

    /** The limit in bytes. */
    public long limit() {
        return limit;
    }
}
