package dev.dispatch.ssh;

/**
 * Where the session pool hands host key decisions that need the database: storing the first key of an
 * {@code accept-new} host and auditing each use of an {@code off} host. Called on the connecting (worker) thread,
 * never on an SSH I/O thread, after the server proved possession of the key. Implementations must be thread-safe.
 */
public interface HostKeyGate {
    /** Stores nothing and refuses every first contact; audits nothing. */
    HostKeyGate NONE = new HostKeyGate() {
        @Override
        public boolean acceptFirstKey(SshTarget target, String publicKey, String fingerprint) {
            return false;
        }

        @Override
        public void unverifiedUse(SshTarget target, String fingerprint) {}
    };

    /**
     * Records {@code publicKey} as the trusted key of a host that had none, with an audit record.
     *
     * @return true when the key is now the host's trusted key (stored now, or by a concurrent first contact);
     *         false when another key was stored meanwhile, so the connection must be rejected
     */
    boolean acceptFirstKey(SshTarget target, String publicKey, String fingerprint);

    /** Audits one use of a session whose host key was not verified (policy {@code off}). */
    void unverifiedUse(SshTarget target, String fingerprint);
}
