package dev.dispatch.api;

/** No such inventory object (group, credential, known host keys) in the caller's tenant. */
public class ResourceNotFoundException extends RuntimeException {
    public ResourceNotFoundException(String detail) {
        super(detail);
    }
}
