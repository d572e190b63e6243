package dev.dispatch.worker;

import dev.dispatch.inventory.InventoryService;
import dev.dispatch.ssh.HostKeyGate;
import dev.dispatch.ssh.SshTarget;
import dev.dispatch.tenancy.Caller;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Set;

/**
 * The session pool's access to the tenant's known hosts: stores the first key of {@code accept-new} hosts and
 * audits uses of {@code off} hosts, each in its own short transaction on the connecting thread. The audit actor is
 * the target's requester (a job's submitter), else {@code system}. Each waits for the {@link RunDatabaseGate} like
 * the rest of a run's database work. Thread-safe.
 */
@ApplicationScoped
public class KnownHostGate implements HostKeyGate {
    private final InventoryService inventory;
    private final RunDatabaseGate database;

    public KnownHostGate(InventoryService inventory, RunDatabaseGate database) {
        this.inventory = inventory;
        this.database = database;
    }

    @Override
    public boolean acceptFirstKey(SshTarget target, String publicKey, String fingerprint) {
        return database.call(() -> inventory.acceptFirstHostKey(actor(target), target.hostName(), publicKey));
    }

    @Override
    public void unverifiedUse(SshTarget target, String fingerprint) {
        database.run(() -> inventory.recordUnverifiedHostKey(actor(target), target.hostName(), fingerprint));
    }

    /** Who a connection is made for, as an audit caller. */
    static Caller actor(SshTarget target) {
        return new Caller(
                target.tenantId(), target.requestedBy() == null ? "system" : target.requestedBy(), Set.of(), "worker");
    }
}
