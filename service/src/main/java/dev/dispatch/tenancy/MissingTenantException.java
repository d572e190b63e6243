package dev.dispatch.tenancy;

/** The token carries no usable {@code tenant} claim. */
public class MissingTenantException extends RuntimeException {
    public MissingTenantException(String detail) {
        super(detail);
    }
}
