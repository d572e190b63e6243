package dev.dispatch.ssh;

import java.net.SocketAddress;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.sshd.client.keyverifier.ServerKeyVerifier;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.AttributeRepository;
import org.apache.sshd.common.AttributeRepository.AttributeKey;
import org.apache.sshd.common.NamedFactory;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.OpenSshCertificate;
import org.apache.sshd.common.session.Session;
import org.apache.sshd.common.session.SessionListener;
import org.apache.sshd.common.signature.Signature;

/**
 * The only server key verifier of the shared client: accepts a host key only if it is among the keys the tenant
 * trusts for that inventory host and not revoked, or if it is a host certificate (already checked by the key
 * exchange for signature, type, validity and principal) signed by a trusted certificate authority. Under
 * {@link HostKeyPolicy#ACCEPT_NEW} the key of a host without any stored key is accepted and captured for storing;
 * under {@link HostKeyPolicy#OFF} any key not revoked is accepted and captured for the audit. A connection without
 * trust information is rejected, so the library's accept-all default can never apply. Runs on SSH I/O threads and
 * never touches the database: the expected keys travel in each connection's context.
 */
final class KnownHostsVerifier implements ServerKeyVerifier {
    /** Per-connection trust: expected keys, policy, and where the verdict is written for the connecting thread. */
    static final class HostKeyCheck {
        static final AttributeKey<HostKeyCheck> KEY = new AttributeKey<>();

        final String hostName;
        final Set<String> trusted;
        final Set<String> revoked;
        final Set<String> authorities;
        final HostKeyPolicy policy;
        final AtomicReference<String> rejection = new AtomicReference<>();
        /** The key accepted without being trusted (first contact or policy off), as {@code "type base64"}. */
        final AtomicReference<String> untrustedKey = new AtomicReference<>();

        HostKeyCheck(
                String hostName,
                Set<String> trusted,
                Set<String> revoked,
                Set<String> authorities,
                HostKeyPolicy policy) {
            this.hostName = hostName;
            this.trusted = trusted;
            this.revoked = revoked;
            this.authorities = authorities;
            this.policy = policy;
        }

        AttributeRepository asContext() {
            return AttributeRepository.ofKeyValuePair(KEY, this);
        }
    }

    /**
     * Orders the host key algorithms a new session proposes as OpenSSH does after consulting known_hosts: certificate
     * algorithms first only for hosts with a trusted certificate authority, plain key algorithms first otherwise, so
     * that a host whose plain key is trusted is never asked for a certificate it may not be able to prove.
     */
    static final class AlgorithmOrder implements SessionListener {
        @Override
        public void sessionEstablished(Session session) {
            if (!(session instanceof ClientSession client)) {
                return;
            }
            // The session's own connection context is set only after this callback; the I/O session has it already.
            AttributeRepository context = client.getConnectionContext();
            if (context == null
                    && session.getIoSession().getAttribute(AttributeRepository.class)
                            instanceof AttributeRepository connection) {
                context = connection;
            }
            HostKeyCheck check = context == null ? null : context.getAttribute(HostKeyCheck.KEY);
            boolean certificatesFirst = check != null && !check.authorities.isEmpty();
            List<NamedFactory<Signature>> ordered = new ArrayList<>(session.getSignatureFactories());
            ordered.sort(Comparator.comparing(
                    (NamedFactory<Signature> f) -> KeyUtils.isCertificateAlgorithm(f.getName()) != certificatesFirst));
            session.setSignatureFactories(ordered);
        }
    }

    @Override
    public boolean verifyServerKey(ClientSession session, SocketAddress remote, PublicKey serverKey) {
        AttributeRepository context = session.getConnectionContext();
        HostKeyCheck check = context == null ? null : context.getAttribute(HostKeyCheck.KEY);
        if (check == null || check.policy == HostKeyPolicy.OFF_FORBIDDEN) {
            return false;
        }
        PublicKey plain = serverKey;
        if (serverKey instanceof OpenSshCertificate certificate) {
            plain = certificate.getCertPubKey();
            String authority = SshKeys.toOpenSsh(certificate.getCaPubKey());
            if (check.revoked.contains(authority)) {
                check.rejection.set("host " + check.hostName + " presented a certificate of revoked authority "
                        + SshKeys.fingerprint(certificate.getCaPubKey()));
                return false;
            }
            if (check.authorities.contains(authority) && !check.revoked.contains(SshKeys.toOpenSsh(plain))) {
                return true;
            }
        }
        String presented = SshKeys.toOpenSsh(plain);
        String fingerprint = SshKeys.fingerprint(plain);
        if (check.revoked.contains(presented)) {
            check.rejection.set("host " + check.hostName + " presented revoked key " + fingerprint);
            return false;
        }
        if (check.trusted.contains(presented)) {
            return true;
        }
        boolean noneStored = check.trusted.isEmpty() && check.authorities.isEmpty();
        if (check.policy == HostKeyPolicy.OFF || (check.policy == HostKeyPolicy.ACCEPT_NEW && noneStored)) {
            check.untrustedKey.set(presented);
            return true;
        }
        check.rejection.set(
                noneStored
                        ? "host " + check.hostName + " has no known host key; it presented " + fingerprint
                        : "host " + check.hostName + " presented " + fingerprint
                                + ", which does not match its known keys"
                                + (check.policy == HostKeyPolicy.ACCEPT_NEW
                                        ? " (accept-new trusts only a first key)"
                                        : ""));
        return false;
    }
}
