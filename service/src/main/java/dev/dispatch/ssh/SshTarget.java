package dev.dispatch.ssh;

import java.util.List;

/**
 * Where and as whom to connect, with the credential, the host keys to trust and the jump hosts to go through.
 * {@link #toString()} never shows key material.
 *
 * @param trustedHostKeys OpenSSH public key strings ({@code "ssh-ed25519 AAAA..."}) the host may present
 * @param revokedHostKeys keys that must be rejected even if trusted elsewhere (also as certificate authorities)
 * @param certAuthorities keys of certificate authorities whose host certificates the host may present; the
 *        certificate must name the address connected to among its principals
 * @param hostKeyPolicy how keys that are not trusted are treated; jump hosts are always {@link HostKeyPolicy#STRICT}
 * @param jumps jump hosts, first hop first (each with its own login, credential and keys); empty for a direct
 *        connection
 * @param requestedBy on whose behalf the connection is made (audit actor), e.g. a job's submitter
 */
public record SshTarget(
        String tenantId,
        String hostName,
        String address,
        int port,
        String user,
        String privateKey,
        String passphrase,
        List<String> trustedHostKeys,
        List<String> revokedHostKeys,
        List<String> certAuthorities,
        HostKeyPolicy hostKeyPolicy,
        List<SshTarget> jumps,
        String requestedBy) {

    public SshTarget {
        certAuthorities = certAuthorities == null ? List.of() : List.copyOf(certAuthorities);
        hostKeyPolicy = hostKeyPolicy == null ? HostKeyPolicy.STRICT : hostKeyPolicy;
        jumps = jumps == null ? List.of() : List.copyOf(jumps);
    }

    /** A direct, strictly checked target. */
    public SshTarget(
            String tenantId,
            String hostName,
            String address,
            int port,
            String user,
            String privateKey,
            String passphrase,
            List<String> trustedHostKeys,
            List<String> revokedHostKeys) {
        this(
                tenantId,
                hostName,
                address,
                port,
                user,
                privateKey,
                passphrase,
                trustedHostKeys,
                revokedHostKeys,
                List.of(),
                HostKeyPolicy.STRICT,
                List.of(),
                null);
    }

    /** The same target reached through {@code jumps}. */
    public SshTarget withJumps(List<SshTarget> jumps) {
        return new SshTarget(
                tenantId,
                hostName,
                address,
                port,
                user,
                privateKey,
                passphrase,
                trustedHostKeys,
                revokedHostKeys,
                certAuthorities,
                hostKeyPolicy,
                jumps,
                requestedBy);
    }

    /** The same target with another host key policy. */
    public SshTarget withHostKeyPolicy(HostKeyPolicy policy) {
        return new SshTarget(
                tenantId,
                hostName,
                address,
                port,
                user,
                privateKey,
                passphrase,
                trustedHostKeys,
                revokedHostKeys,
                certAuthorities,
                policy,
                jumps,
                requestedBy);
    }

    /** The same target on behalf of {@code actor}. */
    public SshTarget requestedBy(String actor) {
        return new SshTarget(
                tenantId,
                hostName,
                address,
                port,
                user,
                privateKey,
                passphrase,
                trustedHostKeys,
                revokedHostKeys,
                certAuthorities,
                hostKeyPolicy,
                jumps,
                actor);
    }

    @Override
    public String toString() {
        return "SshTarget[" + tenantId + "/" + hostName + " " + user + "@" + address + ":" + port
                + (jumps.isEmpty()
                        ? ""
                        : " via " + jumps.stream().map(SshTarget::hostName).toList()) + "]";
    }
}
