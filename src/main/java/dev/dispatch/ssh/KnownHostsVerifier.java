package dev.dispatch.ssh;

import java.net.SocketAddress;
import java.security.PublicKey;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.sshd.client.keyverifier.ServerKeyVerifier;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.AttributeRepository;
import org.apache.sshd.common.AttributeRepository.AttributeKey;

/**
 * The only server key verifier of the shared client: accepts a host key only if it is among the keys the tenant
 * trusts for that inventory host and not revoked. A connection without trust information is rejected, so the
 * library's accept-all default can never apply. The expected keys travel in each connection's context.
 */
final class KnownHostsVerifier implements ServerKeyVerifier {
    /** Per-connection trust: expected keys, and where the verdict is written for error classification. */
    static final class HostKeyCheck {
        static final AttributeKey<HostKeyCheck> KEY = new AttributeKey<>();

        final String hostName;
        final Set<String> trusted;
        final Set<String> revoked;
        final AtomicReference<String> rejection = new AtomicReference<>();

        HostKeyCheck(String hostName, Set<String> trusted, Set<String> revoked) {
            this.hostName = hostName;
            this.trusted = trusted;
            this.revoked = revoked;
        }

        AttributeRepository asContext() {
            return AttributeRepository.ofKeyValuePair(KEY, this);
        }
    }

    @Override
    public boolean verifyServerKey(ClientSession session, SocketAddress remote, PublicKey serverKey) {
        AttributeRepository context = session.getConnectionContext();
        HostKeyCheck check = context == null ? null : context.getAttribute(HostKeyCheck.KEY);
        if (check == null) {
            return false;
        }
        String presented = SshKeys.toOpenSsh(serverKey);
        String fingerprint = SshKeys.fingerprint(serverKey);
        if (check.revoked.contains(presented)) {
            check.rejection.set("host " + check.hostName + " presented revoked key " + fingerprint);
            return false;
        }
        if (check.trusted.contains(presented)) {
            return true;
        }
        check.rejection.set(check.trusted.isEmpty()
                ? "host " + check.hostName + " has no known host key; it presented " + fingerprint
                : "host " + check.hostName + " presented " + fingerprint + ", which does not match its known keys");
        return false;
    }
}
