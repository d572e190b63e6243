package dev.dispatch.api;

/** No host of that name in the caller's tenant. */
public class HostNotFoundException extends RuntimeException {
    public HostNotFoundException(String name) {
        super("host " + name + " not found");
    }
}
