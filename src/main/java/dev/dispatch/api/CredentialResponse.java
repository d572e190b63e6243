package dev.dispatch.api;

/** Public facts of a stored credential; the key itself is never returned. */
public record CredentialResponse(String name, String type, String fingerprint) {
}
