package dev.dispatch.inventory;

import dev.dispatch.InvalidRequestException;
import dev.dispatch.InvalidRequestException.Violation;
import dev.dispatch.audit.AuditService;
import dev.dispatch.ssh.InvalidKeyMaterialException;
import dev.dispatch.ssh.SshKeys;
import dev.dispatch.ssh.SshTarget;
import dev.dispatch.tenancy.Caller;
import dev.dispatch.tenancy.TenantService;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.transaction.Transactional;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;

/** Hosts, credentials and known host keys of a tenant; every change is audited in the same transaction. */
@ApplicationScoped
public class InventoryService {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");
    private static final List<String> POLICIES = List.of("strict", "accept-new", "off");

    private final HostRepository hosts;
    private final CredentialRepository credentials;
    private final KnownHostKeyRepository knownKeys;
    private final CredentialCipher cipher;
    private final TenantService tenants;
    private final AuditService audit;

    public InventoryService(HostRepository hosts, CredentialRepository credentials, KnownHostKeyRepository knownKeys,
            CredentialCipher cipher, TenantService tenants, AuditService audit) {
        this.hosts = hosts;
        this.credentials = credentials;
        this.knownKeys = knownKeys;
        this.cipher = cipher;
        this.tenants = tenants;
        this.audit = audit;
    }

    /** A host as a client describes it. */
    public record HostSpec(String address, Integer port, String user, String credential, Map<String, String> labels,
            List<String> groups, String hostKeyPolicy) {
    }

    /** Public facts about a stored credential. */
    public record CredentialInfo(String name, String type, String fingerprint) {
    }

    /** Creates or replaces a host; returns it and whether it was new. */
    @Transactional
    public Host putHost(Caller caller, String name, HostSpec spec) {
        List<Violation> violations = new ArrayList<>();
        checkName("name", name, violations);
        if (spec == null) {
            throw InvalidRequestException.of("body", "a host body is required");
        }
        if (spec.address() == null || spec.address().isBlank()) {
            violations.add(new Violation("address", "must not be empty"));
        }
        int port = spec.port() == null ? 22 : spec.port();
        if (port < 1 || port > 65535) {
            violations.add(new Violation("port", "must be between 1 and 65535"));
        }
        if (spec.user() == null || spec.user().isBlank()) {
            violations.add(new Violation("user", "must not be empty"));
        }
        if (spec.credential() != null && credentials.findByName(caller.tenantId(), spec.credential()).isEmpty()) {
            violations.add(new Violation("credential", "no credential named '" + spec.credential() + "'"));
        }
        if (spec.hostKeyPolicy() != null && !POLICIES.contains(spec.hostKeyPolicy())) {
            violations.add(new Violation("hostKeyPolicy", "must be one of " + POLICIES));
        } else if (spec.hostKeyPolicy() != null && !spec.hostKeyPolicy().equals("strict")) {
            violations.add(new Violation("hostKeyPolicy", "only 'strict' is supported by this version"));
        }
        if (spec.groups() != null) {
            for (int i = 0; i < spec.groups().size(); i++) {
                checkName("groups[" + i + "]", spec.groups().get(i), violations);
            }
        }
        if (!violations.isEmpty()) {
            throw new InvalidRequestException(violations);
        }
        tenants.ensureExists(caller.tenantId());
        Instant now = Instant.now();
        Host host = hosts.findByName(caller.tenantId(), name).orElse(null);
        boolean created = host == null;
        if (created) {
            host = new Host();
            host.id = UUID.randomUUID();
            host.tenantId = caller.tenantId();
            host.name = name;
            host.createdAt = now;
        }
        host.address = spec.address().strip();
        host.port = port;
        host.user = spec.user().strip();
        host.credential = spec.credential();
        host.labels = spec.labels() == null ? Map.of() : new LinkedHashMap<>(spec.labels());
        host.groups = spec.groups() == null ? List.of() : List.copyOf(spec.groups());
        host.hostKeyPolicy = spec.hostKeyPolicy();
        host.updatedAt = now;
        if (created) {
            hosts.persist(host);
        }
        audit.record(caller, created ? "host.create" : "host.update", "host/" + name, "ok",
                Map.of("address", host.address, "port", host.port, "user", host.user));
        return host;
    }

    /** The tenant's host, or empty. */
    @Transactional
    public Optional<Host> host(String tenantId, String name) {
        return hosts.findByName(tenantId, name);
    }

    /** All of the tenant's hosts. */
    @Transactional
    public List<Host> hosts(String tenantId) {
        return hosts.listForTenant(tenantId);
    }

    /** Stores a private key (encrypted) under a name; answers only its public facts. */
    @Transactional
    public CredentialInfo putCredential(Caller caller, String name, String privateKey, String passphrase) {
        List<Violation> violations = new ArrayList<>();
        checkName("name", name, violations);
        SshKeys.KeyInfo info = null;
        if (privateKey == null || privateKey.isBlank()) {
            violations.add(new Violation("privateKey", "must not be empty"));
        } else {
            try {
                info = SshKeys.describePrivateKey(privateKey, emptyToNull(passphrase));
            } catch (InvalidKeyMaterialException e) {
                violations.add(new Violation("privateKey", e.getMessage()));
            }
        }
        if (!violations.isEmpty()) {
            throw new InvalidRequestException(violations);
        }
        tenants.ensureExists(caller.tenantId());
        Instant now = Instant.now();
        Credential credential = credentials.findByName(caller.tenantId(), name).orElse(null);
        boolean created = credential == null;
        if (created) {
            credential = new Credential();
            credential.id = UUID.randomUUID();
            credential.tenantId = caller.tenantId();
            credential.name = name;
            credential.createdAt = now;
        }
        String context = aad(caller.tenantId(), name);
        credential.keyType = info.type();
        credential.fingerprint = info.fingerprint();
        credential.encryptedKey = cipher.encrypt(privateKey, context);
        credential.encryptedPassphrase = cipher.encrypt(emptyToNull(passphrase), context);
        credential.updatedAt = now;
        if (created) {
            credentials.persist(credential);
        }
        audit.record(caller, created ? "credential.create" : "credential.update", "credential/" + name, "ok",
                Map.of("type", info.type(), "fingerprint", info.fingerprint()));
        return new CredentialInfo(name, info.type(), info.fingerprint());
    }

    /** Replaces the trusted keys of a host with the given public keys or known_hosts lines. */
    @Transactional
    public List<KnownHostKey> putKnownHosts(Caller caller, String hostName, List<String> lines) {
        List<Violation> violations = new ArrayList<>();
        checkName("host", hostName, violations);
        List<SshKeys.HostKey> parsed = List.of();
        try {
            parsed = SshKeys.parseHostKeys(lines == null ? List.of() : lines);
            if (parsed.isEmpty()) {
                violations.add(new Violation("keys", "at least one key is required"));
            }
        } catch (InvalidKeyMaterialException e) {
            violations.add(new Violation("keys", e.getMessage()));
        }
        if (!violations.isEmpty()) {
            throw new InvalidRequestException(violations);
        }
        tenants.ensureExists(caller.tenantId());
        knownKeys.deleteForHost(caller.tenantId(), hostName);
        knownKeys.flush();
        Instant now = Instant.now();
        List<KnownHostKey> stored = new ArrayList<>();
        Map<String, SshKeys.HostKey> byKey = new LinkedHashMap<>();
        for (SshKeys.HostKey key : parsed) {
            byKey.merge(key.publicKey(), key, (a, b) -> rank(b) > rank(a) ? b : a);
        }
        for (SshKeys.HostKey key : byKey.values()) {
            KnownHostKey row = new KnownHostKey();
            row.id = UUID.randomUUID();
            row.tenantId = caller.tenantId();
            row.hostName = hostName;
            row.marker = key.marker();
            row.keyType = key.type();
            row.publicKey = key.publicKey();
            row.fingerprint = key.fingerprint();
            row.createdAt = now;
            row.createdBy = caller.subject();
            knownKeys.persist(row);
            stored.add(row);
        }
        audit.record(caller, "known-hosts.replace", "host/" + hostName, "ok",
                Map.of("fingerprints", stored.stream().map(k -> k.fingerprint).toList()));
        return stored;
    }

    /** The tenant's keys for a host. */
    @Transactional
    public List<KnownHostKey> knownHosts(String tenantId, String hostName) {
        return knownKeys.forHost(tenantId, hostName);
    }

    /**
     * Everything needed to connect to the tenant's host now: address, login, decrypted credential, trusted keys.
     * Empty when the host no longer exists.
     */
    @Transactional
    public Optional<SshTarget> resolveTarget(String tenantId, String hostName) {
        Optional<Host> found = hosts.findByName(tenantId, hostName);
        if (found.isEmpty()) {
            return Optional.empty();
        }
        Host host = found.get();
        String key = null;
        String passphrase = null;
        if (host.credential != null) {
            Optional<Credential> credential = credentials.findByName(tenantId, host.credential);
            if (credential.isPresent()) {
                String context = aad(tenantId, host.credential);
                key = cipher.decrypt(credential.get().encryptedKey, context);
                passphrase = cipher.decrypt(credential.get().encryptedPassphrase, context);
            }
        }
        List<String> trusted = new ArrayList<>();
        List<String> revoked = new ArrayList<>();
        for (KnownHostKey k : knownKeys.forHost(tenantId, hostName)) {
            if ("revoked".equals(k.marker)) {
                revoked.add(k.publicKey);
            } else if (k.marker == null) {
                trusted.add(k.publicKey);
            }
        }
        return Optional.of(new SshTarget(tenantId, host.name, host.address, host.port, host.user, key, passphrase,
                trusted, revoked));
    }

    /** A key listed more than once keeps its strongest marker: revoked over cert-authority over plain trust. */
    private static int rank(SshKeys.HostKey key) {
        return key.marker() == null ? 0 : key.marker().equals("cert-authority") ? 1 : 2;
    }

    private static String aad(String tenantId, String credentialName) {
        return "dispatch-credential:" + tenantId + "/" + credentialName;
    }

    private static void checkName(String field, String name, List<Violation> violations) {
        if (name == null || !NAME.matcher(name).matches()) {
            violations.add(new Violation(field,
                    "must be 1-128 characters of letters, digits, '.', '_' or '-', starting with a letter or digit"));
        }
    }

    private static String emptyToNull(String s) {
        return s == null || s.isEmpty() ? null : s;
    }
}
