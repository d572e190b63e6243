package dev.dispatch.inventory;

import io.smallrye.config.ConfigMapping;

/** How credentials are protected at rest. */
@ConfigMapping(prefix = "dispatch.credentials")
public interface CredentialConfig {
    /**
     * Base64 of a 32-byte AES-256 key that encrypts stored private keys and passphrases
     * (env {@code DISPATCH_CREDENTIALS_ENCRYPTION_KEY}). Required; the service refuses to start without it.
     */
    String encryptionKey();
}
