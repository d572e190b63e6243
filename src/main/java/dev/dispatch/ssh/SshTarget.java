package dev.dispatch.ssh;

import java.util.List;

/**
 * Where and as whom to connect, with the credential and the host keys to trust.
 * {@link #toString()} never shows key material.
 *
 * @param trustedHostKeys OpenSSH public key strings ({@code "ssh-ed25519 AAAA..."}) the host may present
 * @param revokedHostKeys keys that must be rejected even if trusted elsewhere
 */
public record SshTarget(String tenantId, String hostName, String address, int port, String user,
        String privateKey, String passphrase, List<String> trustedHostKeys, List<String> revokedHostKeys) {

    @Override
    public String toString() {
        return "SshTarget[" + tenantId + "/" + hostName + " " + user + "@" + address + ":" + port + "]";
    }
}
