package dev.dispatch.inventory;

import dev.dispatch.InvalidRequestException;
import dev.dispatch.InvalidRequestException.Violation;
import dev.dispatch.audit.AuditService;
import dev.dispatch.ssh.HostKeyPolicy;
import dev.dispatch.ssh.InvalidKeyMaterialException;
import dev.dispatch.ssh.SshKeys;
import dev.dispatch.ssh.SshTarget;
import dev.dispatch.tenancy.Caller;
import dev.dispatch.tenancy.TenantService;
import dev.dispatch.tenancy.TenantSettings;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.transaction.Transactional;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * Hosts, groups, credentials and known host keys of a tenant; every change is audited in the same transaction.
 * Also the one place that decides which hosts a group holds ({@link #resolveGroup}).
 */
@ApplicationScoped
public class InventoryService {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");
    private static final List<String> POLICIES = List.of("strict", "accept-new", "off");
    /** Longest jump chain a host may name. */
    static final int MAX_JUMPS = 8;

    private final HostRepository hosts;
    private final HostGroupRepository groups;
    private final CredentialRepository credentials;
    private final KnownHostKeyRepository knownKeys;
    private final CredentialCipher cipher;
    private final TenantService tenants;
    private final AuditService audit;

    public InventoryService(
            HostRepository hosts,
            HostGroupRepository groups,
            CredentialRepository credentials,
            KnownHostKeyRepository knownKeys,
            CredentialCipher cipher,
            TenantService tenants,
            AuditService audit) {
        this.hosts = hosts;
        this.groups = groups;
        this.credentials = credentials;
        this.knownKeys = knownKeys;
        this.cipher = cipher;
        this.tenants = tenants;
        this.audit = audit;
    }

    /** A host as a client describes it. */
    public record HostSpec(
            String address,
            Integer port,
            String user,
            String credential,
            Map<String, String> labels,
            List<String> groups,
            String hostKeyPolicy,
            String proxyJump) {}

    /**
     * Which hosts to list.
     *
     * @param group only hosts the group resolves to (null: no restriction)
     * @param labels only hosts carrying every label; a null value asks for the key with any value
     */
    public record HostFilter(String group, Map<String, String> labels) {}

    /** A group as a client describes it: explicit members and/or a label selector. */
    public record GroupSpec(List<String> members, Map<String, String> selector) {}

    /**
     * A group and the hosts it resolves to.
     *
     * @param definition the stored group, or null for a group that exists only because hosts name it in their own
     *        {@code groups} list
     * @param hosts resolved host names, sorted
     */
    public record ResolvedGroup(String name, HostGroup definition, List<String> hosts) {}

    /** Public facts about a stored credential. */
    public record CredentialInfo(String name, String type, String fingerprint, Instant createdAt, Instant updatedAt) {}

    /** Outcome of writing one inventory object. */
    record Upsert<T>(T value, boolean created) {}

    // ---- hosts -----------------------------------------------------------------------------------------------

    /**
     * Creates or replaces a host and answers it.
     *
     * @throws InvalidRequestException naming every invalid field; nothing is written then
     */
    @Transactional
    public Host putHost(Caller caller, String name, HostSpec spec) {
        if (spec == null) {
            throw InvalidRequestException.of("body", "a host body is required");
        }
        List<Violation> violations = new ArrayList<>();
        checkName("name", name, violations);
        Set<String> known = credentialNamesLocked(
                caller.tenantId(), spec.credential() == null ? List.of() : List.of(spec.credential()));
        validateHost("", spec, known::contains, violations);
        validateJumps(
                "",
                name,
                spec,
                jump -> hosts.findByName(caller.tenantId(), jump).isPresent(),
                violations);
        validatePolicy("", spec, tenants.lockSettings(caller.tenantId()).allowHostKeyPolicyOff(), violations);
        if (!violations.isEmpty()) {
            throw new InvalidRequestException(violations);
        }
        return upsertHost(caller, name, spec, Map.of()).value();
    }

    /** The tenant's host, or empty. */
    @Transactional
    public Optional<Host> host(String tenantId, String name) {
        return hosts.findByName(tenantId, name);
    }

    /** All of the tenant's hosts, by name. */
    @Transactional
    public List<Host> hosts(String tenantId) {
        return hosts.listForTenant(tenantId);
    }

    /** The tenant's hosts that pass the filter, by name; an unknown group yields none. */
    @Transactional
    public List<Host> hosts(String tenantId, HostFilter filter) {
        List<Host> all = hosts.listForTenant(tenantId);
        Set<String> inGroup = null;
        if (filter.group() != null) {
            inGroup = new HashSet<>(resolve(
                    filter.group(), groups.findByName(tenantId, filter.group()).orElse(null), all));
        }
        List<Host> result = new ArrayList<>();
        for (Host h : all) {
            if ((inGroup == null || inGroup.contains(h.name)) && carries(h, filter.labels())) {
                result.add(h);
            }
        }
        return result;
    }

    /**
     * Deletes the tenant's host together with what only made sense for it: its trusted host keys (so that a later
     * host of the same name does not inherit them) and its place in groups' member lists.
     *
     * @return false when there is no such host
     */
    @Transactional
    public boolean deleteHost(Caller caller, String name) {
        Optional<Host> found = hosts.findByName(caller.tenantId(), name);
        if (found.isEmpty()) {
            return false;
        }
        Host host = found.get();
        Instant now = Instant.now();
        List<String> memberOf = new ArrayList<>();
        for (HostGroup group : groups.listForTenant(caller.tenantId())) {
            if (group.members != null && group.members.contains(name)) {
                group.members =
                        group.members.stream().filter(m -> !m.equals(name)).toList();
                group.updatedAt = now;
                memberOf.add(group.name);
            }
        }
        knownKeys.lockHost(caller.tenantId(), name);
        long keys = knownKeys.deleteForHost(caller.tenantId(), name);
        hosts.delete(host);
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("address", host.address);
        details.put("port", host.port);
        details.put("user", host.user);
        details.put("removedFromGroups", memberOf);
        details.put("knownHostKeysRemoved", keys);
        audit.record(caller, "host.delete", "host/" + name, "ok", details);
        return true;
    }

    /**
     * Checks a host description, adding one violation per broken rule with field names prefixed by {@code prefix}
     * (e.g. {@code hosts.web-1.}). Does not check the host's name.
     */
    void validateHost(String prefix, HostSpec spec, Predicate<String> credentialExists, List<Violation> violations) {
        if (spec.address() == null || spec.address().isBlank()) {
            violations.add(new Violation(prefix + "address", "must not be empty"));
        } else if (spec.address().strip().chars().anyMatch(Character::isWhitespace)) {
            violations.add(new Violation(prefix + "address", "must not contain whitespace"));
        }
        int port = spec.port() == null ? 22 : spec.port();
        if (port < 1 || port > 65535) {
            violations.add(new Violation(prefix + "port", "must be between 1 and 65535"));
        }
        if (spec.user() == null || spec.user().isBlank()) {
            violations.add(new Violation(prefix + "user", "must not be empty"));
        }
        if (spec.credential() != null && !credentialExists.test(spec.credential())) {
            violations.add(new Violation(prefix + "credential", "no credential named '" + spec.credential() + "'"));
        }
        if (spec.hostKeyPolicy() != null && !POLICIES.contains(spec.hostKeyPolicy())) {
            violations.add(new Violation(prefix + "hostKeyPolicy", "must be one of " + POLICIES));
        }
        if (spec.labels() != null) {
            spec.labels().forEach((key, value) -> {
                if (key == null || key.isBlank()) {
                    violations.add(new Violation(prefix + "labels", "label keys must not be empty"));
                } else if (value == null) {
                    violations.add(new Violation(prefix + "labels." + key, "must not be null"));
                }
            });
        }
        if (spec.groups() != null) {
            for (int i = 0; i < spec.groups().size(); i++) {
                checkName(prefix + "groups[" + i + "]", spec.groups().get(i), violations);
            }
        }
    }

    /**
     * Checks a host's {@code proxyJump}: comma-separated names of other hosts of the tenant, at most
     * {@value #MAX_JUMPS}, none repeated. {@code hostExists} decides whether a name is (or will be) a host.
     */
    void validateJumps(
            String prefix, String name, HostSpec spec, Predicate<String> hostExists, List<Violation> violations) {
        if (spec.proxyJump() == null) {
            return;
        }
        List<String> chain = jumpChain(spec.proxyJump());
        String field = prefix + "proxyJump";
        if (chain.isEmpty()) {
            violations.add(new Violation(field, "must name at least one jump host (or be omitted)"));
        } else if (chain.size() > MAX_JUMPS) {
            violations.add(new Violation(field, "at most " + MAX_JUMPS + " jump hosts"));
        } else if (new HashSet<>(chain).size() != chain.size()) {
            violations.add(new Violation(field, "names a jump host twice"));
        }
        for (String jump : chain) {
            if (!isValidName(jump)) {
                violations.add(new Violation(
                        field,
                        "'" + jump + "' is not an inventory host name (user@ and :port"
                                + " are set on the jump host itself)"));
            } else if (jump.equals(name)) {
                violations.add(new Violation(field, "a host cannot be its own jump host"));
            } else if (!hostExists.test(jump)) {
                violations.add(new Violation(field, "no host named '" + jump + "'"));
            }
        }
    }

    /** Checks that a host uses the host key policy {@code off} only where the tenant's admin allowed it. */
    static void validatePolicy(String prefix, HostSpec spec, boolean offAllowed, List<Violation> violations) {
        if ("off".equals(spec.hostKeyPolicy()) && !offAllowed) {
            violations.add(new Violation(
                    prefix + "hostKeyPolicy",
                    "'off' is not allowed in this tenant; its admin"
                            + " must first set allowHostKeyPolicyOff (PUT /api/v1/tenant)"));
        }
    }

    /** The names of a {@code proxyJump} value, first hop first. */
    static List<String> jumpChain(String proxyJump) {
        List<String> chain = new ArrayList<>();
        for (String part : proxyJump.split(",", -1)) {
            chain.add(part.strip());
        }
        return chain.size() == 1 && chain.get(0).isEmpty() ? List.of() : chain;
    }

    /** Writes a host that {@link #validateHost} accepted, and its audit record; {@code via} adds audit details. */
    Upsert<Host> upsertHost(Caller caller, String name, HostSpec spec, Map<String, Object> via) {
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
        host.port = spec.port() == null ? 22 : spec.port();
        host.user = spec.user().strip();
        host.credential = spec.credential();
        host.labels = spec.labels() == null ? Map.of() : new LinkedHashMap<>(spec.labels());
        host.groups = spec.groups() == null ? List.of() : List.copyOf(new LinkedHashSet<>(spec.groups()));
        host.hostKeyPolicy = spec.hostKeyPolicy();
        host.proxyJump = spec.proxyJump() == null ? null : String.join(",", jumpChain(spec.proxyJump()));
        host.updatedAt = now;
        if (created) {
            hosts.persist(host);
        }
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("address", host.address);
        details.put("port", host.port);
        details.put("user", host.user);
        if (host.hostKeyPolicy != null) {
            details.put("hostKeyPolicy", host.hostKeyPolicy);
        }
        if (host.proxyJump != null) {
            details.put("proxyJump", host.proxyJump);
        }
        details.putAll(via);
        audit.record(caller, created ? "host.create" : "host.update", "host/" + name, "ok", details);
        return new Upsert<>(host, created);
    }

    // ---- tenant settings -------------------------------------------------------------------------------------

    /**
     * Changes the tenant's default host key policy and/or whether {@code off} is allowed (null: unchanged), audited
     * as {@code tenant.update}. Withdrawing the permission is allowed while hosts still use {@code off}: their runs
     * then end {@code HOST_KEY_REJECTED}; the audit record names them.
     *
     * @throws InvalidRequestException for an unknown policy, or a default of {@code off} that is not allowed
     */
    @Transactional
    public TenantSettings putTenantSettings(Caller caller, String hostKeyPolicy, Boolean allowHostKeyPolicyOff) {
        List<Violation> violations = new ArrayList<>();
        if (hostKeyPolicy != null && !POLICIES.contains(hostKeyPolicy)) {
            violations.add(new Violation("hostKeyPolicy", "must be one of " + POLICIES));
        }
        if (!violations.isEmpty()) {
            throw new InvalidRequestException(violations);
        }
        TenantSettings current = tenants.lockSettings(caller.tenantId());
        TenantSettings next = new TenantSettings(
                hostKeyPolicy == null ? current.hostKeyPolicy() : hostKeyPolicy,
                allowHostKeyPolicyOff == null ? current.allowHostKeyPolicyOff() : allowHostKeyPolicyOff);
        if (next.hostKeyPolicy().equals("off") && !next.allowHostKeyPolicyOff()) {
            throw InvalidRequestException.of(
                    "hostKeyPolicy", "'off' is allowed only together with" + " allowHostKeyPolicyOff: true");
        }
        tenants.writeSettings(caller.tenantId(), next);
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("hostKeyPolicy", next.hostKeyPolicy());
        details.put("allowHostKeyPolicyOff", next.allowHostKeyPolicyOff());
        details.put(
                "before",
                Map.of(
                        "hostKeyPolicy",
                        current.hostKeyPolicy(),
                        "allowHostKeyPolicyOff",
                        current.allowHostKeyPolicyOff()));
        if (!next.allowHostKeyPolicyOff()) {
            List<String> stillOff = hosts.listForTenant(caller.tenantId()).stream()
                    .filter(h -> "off".equals(h.hostKeyPolicy))
                    .map(h -> h.name)
                    .toList();
            if (!stillOff.isEmpty()) {
                details.put("hostsNowRejected", stillOff);
            }
        }
        audit.record(caller, "tenant.update", "tenant", "ok", details);
        return next;
    }

    /** The tenant's settings (defaults for a tenant never configured). */
    @Transactional
    public TenantSettings tenantSettings(String tenantId) {
        return tenants.settings(tenantId);
    }

    // ---- groups ----------------------------------------------------------------------------------------------

    /**
     * Creates or replaces a group: explicit {@code members} (hosts that must exist in the tenant) and/or a label
     * {@code selector}. Answers it resolved.
     *
     * @throws InvalidRequestException naming every invalid field and each unknown member
     */
    @Transactional
    public ResolvedGroup putGroup(Caller caller, String name, GroupSpec spec) {
        if (spec == null) {
            throw InvalidRequestException.of("body", "a group body is required");
        }
        List<Violation> violations = new ArrayList<>();
        checkName("name", name, violations);
        Set<String> existing = new HashSet<>();
        if (spec.members() != null) {
            List<String> named = spec.members().stream().filter(m -> m != null).toList();
            for (Host h : named.isEmpty() ? List.<Host>of() : hosts.findByNames(caller.tenantId(), named)) {
                existing.add(h.name);
            }
        }
        validateGroup("", spec, existing::contains, violations);
        if (!violations.isEmpty()) {
            throw new InvalidRequestException(violations);
        }
        tenants.ensureExists(caller.tenantId());
        HostGroup group = upsertGroup(caller, name, spec, Map.of()).value();
        return new ResolvedGroup(name, group, resolve(name, group, hosts.listForTenant(caller.tenantId())));
    }

    /** Checks a group description (not its name); {@code hostExists} decides whether a member is known. */
    void validateGroup(String prefix, GroupSpec spec, Predicate<String> hostExists, List<Violation> violations) {
        boolean hasMembers = spec.members() != null && !spec.members().isEmpty();
        boolean hasSelector = spec.selector() != null && !spec.selector().isEmpty();
        if (!hasMembers && !hasSelector) {
            violations.add(new Violation(
                    prefix.isEmpty() ? "body" : prefix + "members",
                    "give at least one member or a non-empty selector"));
        }
        if (spec.members() != null) {
            for (int i = 0; i < spec.members().size(); i++) {
                String member = spec.members().get(i);
                String field = prefix + "members[" + i + "]";
                if (member == null || !NAME.matcher(member).matches()) {
                    checkName(field, member, violations);
                } else if (!hostExists.test(member)) {
                    violations.add(new Violation(field, "no host named '" + member + "'"));
                }
            }
        }
        if (spec.selector() != null) {
            spec.selector().forEach((key, value) -> {
                if (key == null || key.isBlank()) {
                    violations.add(new Violation(prefix + "selector", "label keys must not be empty"));
                } else if (value == null) {
                    violations.add(new Violation(prefix + "selector." + key, "must not be null"));
                }
            });
        }
    }

    /** Writes a group that {@link #validateGroup} accepted, and its audit record. */
    Upsert<HostGroup> upsertGroup(Caller caller, String name, GroupSpec spec, Map<String, Object> via) {
        Instant now = Instant.now();
        HostGroup group = groups.findByName(caller.tenantId(), name).orElse(null);
        boolean created = group == null;
        if (created) {
            group = new HostGroup();
            group.id = UUID.randomUUID();
            group.tenantId = caller.tenantId();
            group.name = name;
            group.createdAt = now;
        }
        group.members = spec.members() == null ? List.of() : List.copyOf(new LinkedHashSet<>(spec.members()));
        group.selector = spec.selector() == null ? Map.of() : new TreeMap<>(spec.selector());
        group.updatedAt = now;
        if (created) {
            groups.persist(group);
        }
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("members", group.members);
        details.put("selector", group.selector);
        details.putAll(via);
        audit.record(caller, created ? "group.create" : "group.update", "group/" + name, "ok", details);
        return new Upsert<>(group, created);
    }

    /**
     * The tenant's group, resolved: a stored group, or one that exists only because hosts name it in their own
     * {@code groups} list. Empty when neither.
     */
    @Transactional
    public Optional<ResolvedGroup> group(String tenantId, String name) {
        HostGroup definition = groups.findByName(tenantId, name).orElse(null);
        List<String> resolved = resolve(name, definition, hosts.listForTenant(tenantId));
        if (definition == null && resolved.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new ResolvedGroup(name, definition, resolved));
    }

    /** Every group of the tenant, stored or named by hosts, resolved, by name. */
    @Transactional
    public List<ResolvedGroup> groups(String tenantId) {
        List<Host> all = hosts.listForTenant(tenantId);
        Map<String, HostGroup> byName = new TreeMap<>();
        for (HostGroup g : groups.listForTenant(tenantId)) {
            byName.put(g.name, g);
        }
        for (Host h : all) {
            if (h.groups != null) {
                h.groups.forEach(g -> byName.putIfAbsent(g, null));
            }
        }
        List<ResolvedGroup> result = new ArrayList<>();
        byName.forEach(
                (name, definition) -> result.add(new ResolvedGroup(name, definition, resolve(name, definition, all))));
        return result;
    }

    /**
     * Deletes the tenant's stored group. Hosts that name it in their own {@code groups} list keep doing so, so the
     * group may still resolve to them afterwards.
     *
     * @return false when no group of that name is stored
     */
    @Transactional
    public boolean deleteGroup(Caller caller, String name) {
        Optional<HostGroup> found = groups.findByName(caller.tenantId(), name);
        if (found.isEmpty()) {
            return false;
        }
        HostGroup group = found.get();
        groups.delete(group);
        audit.record(
                caller,
                "group.delete",
                "group/" + name,
                "ok",
                Map.of("members", group.members, "selector", group.selector));
        return true;
    }

    /**
     * The names of the tenant's hosts in a group, sorted: its explicit members, the hosts whose labels contain its
     * whole selector, and the hosts whose own {@code groups} list names it. Empty for an unknown group.
     * This is the one definition of group membership, used by job targeting and by listings alike.
     */
    @Transactional
    public List<String> resolveGroup(String tenantId, String name) {
        return resolve(name, groups.findByName(tenantId, name).orElse(null), hosts.listForTenant(tenantId));
    }

    /** {@link #resolveGroup} for several groups at once, reading the tenant's hosts once; keyed in the given order. */
    @Transactional
    public Map<String, List<String>> resolveGroups(String tenantId, Collection<String> names) {
        List<Host> all = hosts.listForTenant(tenantId);
        Map<String, List<String>> result = new LinkedHashMap<>();
        for (String name : names) {
            if (name != null && !result.containsKey(name)) {
                result.put(name, resolve(name, groups.findByName(tenantId, name).orElse(null), all));
            }
        }
        return result;
    }

    private static List<String> resolve(String name, HostGroup definition, List<Host> all) {
        Set<String> resolved = new TreeSet<>();
        Set<String> members =
                definition == null || definition.members == null ? Set.of() : new HashSet<>(definition.members);
        Map<String, String> selector =
                definition == null || definition.selector == null ? Map.of() : definition.selector;
        for (Host h : all) {
            if (members.contains(h.name)
                    || (h.groups != null && h.groups.contains(name))
                    || (!selector.isEmpty() && carries(h, selector))) {
                resolved.add(h.name);
            }
        }
        return new ArrayList<>(resolved);
    }

    private static boolean carries(Host host, Map<String, String> labels) {
        if (labels == null || labels.isEmpty()) {
            return true;
        }
        if (host.labels == null) {
            return false;
        }
        for (Map.Entry<String, String> wanted : labels.entrySet()) {
            String value = host.labels.get(wanted.getKey());
            if (value == null
                    || (wanted.getValue() != null && !wanted.getValue().equals(value))) {
                return false;
            }
        }
        return true;
    }

    // ---- credentials -----------------------------------------------------------------------------------------

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
        audit.record(
                caller,
                created ? "credential.create" : "credential.update",
                "credential/" + name,
                "ok",
                Map.of("type", info.type(), "fingerprint", info.fingerprint()));
        return info(credential);
    }

    /** Public facts of every credential of the tenant, by name; never key material. */
    @Transactional
    public List<CredentialInfo> credentials(String tenantId) {
        return credentials.listForTenant(tenantId).stream()
                .map(InventoryService::info)
                .toList();
    }

    /**
     * Deletes the tenant's credential unless a host still logs in with it.
     *
     * @return false when there is no such credential
     * @throws CredentialInUseException naming the hosts that refer to it; nothing is deleted then
     */
    @Transactional
    public boolean deleteCredential(Caller caller, String name) {
        Optional<Credential> found = credentials.lockForUpdate(caller.tenantId(), name);
        if (found.isEmpty()) {
            return false;
        }
        List<String> users = hosts.namesUsingCredential(caller.tenantId(), name);
        if (!users.isEmpty()) {
            throw new CredentialInUseException(name, users);
        }
        Credential credential = found.get();
        credentials.delete(credential);
        audit.record(
                caller,
                "credential.delete",
                "credential/" + name,
                "ok",
                Map.of("type", credential.keyType, "fingerprint", credential.fingerprint));
        return true;
    }

    /** Which of the named credentials exist, share-locked until the transaction ends. */
    Set<String> credentialNamesLocked(String tenantId, Collection<String> names) {
        Set<String> wanted = new HashSet<>(names);
        wanted.remove(null);
        if (wanted.isEmpty()) {
            return Set.of();
        }
        Set<String> found = new HashSet<>();
        for (Credential c : credentials.lockByNames(tenantId, wanted)) {
            found.add(c.name);
        }
        return found;
    }

    private static CredentialInfo info(Credential c) {
        return new CredentialInfo(c.name, c.keyType, c.fingerprint, c.createdAt, c.updatedAt);
    }

    // ---- known host keys -------------------------------------------------------------------------------------

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
        // The same per-host lock as accept-new's first-key store: a first contact racing this replace either stored
        // its key before (and it is replaced now) or sees the admin's keys after (and stores nothing).
        knownKeys.lockHost(caller.tenantId(), hostName);
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
        audit.record(
                caller,
                "known-hosts.replace",
                "host/" + hostName,
                "ok",
                Map.of("fingerprints", stored.stream().map(k -> k.fingerprint).toList()));
        return stored;
    }

    /** The tenant's keys for a host. */
    @Transactional
    public List<KnownHostKey> knownHosts(String tenantId, String hostName) {
        return knownKeys.forHost(tenantId, hostName);
    }

    /** Every key of the tenant, grouped by host name (sorted). */
    @Transactional
    public Map<String, List<KnownHostKey>> knownHosts(String tenantId) {
        Map<String, List<KnownHostKey>> byHost = new TreeMap<>();
        for (KnownHostKey key : knownKeys.listForTenant(tenantId)) {
            byHost.computeIfAbsent(key.hostName, h -> new ArrayList<>()).add(key);
        }
        return byHost;
    }

    /**
     * Forgets every key of the tenant's host, so that connecting to it fails until keys are stored again.
     *
     * @return false when the host had no keys
     */
    @Transactional
    public boolean deleteKnownHosts(Caller caller, String hostName) {
        knownKeys.lockHost(caller.tenantId(), hostName);
        List<KnownHostKey> keys = knownKeys.forHost(caller.tenantId(), hostName);
        if (keys.isEmpty()) {
            return false;
        }
        knownKeys.deleteForHost(caller.tenantId(), hostName);
        audit.record(
                caller,
                "known-hosts.delete",
                "host/" + hostName,
                "ok",
                Map.of("fingerprints", keys.stream().map(k -> k.fingerprint).toList()));
        return true;
    }

    /**
     * Everything needed to connect to the tenant's host now: address, login, decrypted credential, trusted keys,
     * certificate authorities, the effective host key policy (the host's, else the tenant's default;
     * {@link HostKeyPolicy#OFF_FORBIDDEN} when that is {@code off} without the tenant's permission) and its jump hosts
     * (each resolved the same way, always strict). Empty when the host no longer exists.
     *
     * @throws MissingJumpHostException when a jump host the host names is no longer in the inventory
     */
    @Transactional
    public Optional<SshTarget> resolveTarget(String tenantId, String hostName) {
        Targets targets = targets(tenantId, List.of(hostName));
        MissingJumpHostException missing = targets.missingJumps().get(hostName);
        if (missing != null) {
            throw missing;
        }
        return Optional.ofNullable(targets.resolved().get(hostName));
    }

    /**
     * {@link #resolveTarget} for many hosts of one tenant at once, in a fixed number of queries whatever their count
     * (hosts, jump hosts, credentials, known keys, tenant settings), each credential decrypted once. The workers
     * resolve every run they claim together this way. Hosts no longer in the inventory, and hosts whose jump host is
     * gone, are left out of the answer: {@link #resolveTarget} tells which it was.
     */
    @Transactional
    public Map<String, SshTarget> resolveTargets(String tenantId, Collection<String> hostNames) {
        return targets(tenantId, hostNames).resolved();
    }

    private record Targets(Map<String, SshTarget> resolved, Map<String, MissingJumpHostException> missingJumps) {}

    private Targets targets(String tenantId, Collection<String> hostNames) {
        Map<String, Host> known = new LinkedHashMap<>();
        hosts.findByNames(tenantId, hostNames).forEach(h -> known.put(h.name, h));
        Set<String> jumpNames = new LinkedHashSet<>();
        for (String name : hostNames) {
            Host host = known.get(name);
            if (host != null && host.proxyJump != null) {
                jumpNames.addAll(jumpChain(host.proxyJump));
            }
        }
        jumpNames.removeAll(known.keySet());
        if (!jumpNames.isEmpty()) {
            hosts.findByNames(tenantId, jumpNames).forEach(h -> known.put(h.name, h));
        }
        Set<String> credentialNames = new TreeSet<>();
        known.values().stream().filter(h -> h.credential != null).forEach(h -> credentialNames.add(h.credential));
        Map<String, String[]> secrets = new LinkedHashMap<>();
        if (!credentialNames.isEmpty()) {
            for (Credential c : credentials.findByNames(tenantId, credentialNames)) {
                String context = aad(tenantId, c.name);
                secrets.put(c.name, new String[] {
                    cipher.decrypt(c.encryptedKey, context), cipher.decrypt(c.encryptedPassphrase, context)
                });
            }
        }
        Map<String, List<KnownHostKey>> keys = new LinkedHashMap<>();
        for (KnownHostKey k : knownKeys.forHosts(tenantId, known.keySet())) {
            keys.computeIfAbsent(k.hostName, n -> new ArrayList<>()).add(k);
        }
        TenantSettings settings = tenants.settings(tenantId);
        Map<String, SshTarget> resolved = new LinkedHashMap<>();
        Map<String, MissingJumpHostException> missingJumps = new LinkedHashMap<>();
        for (String name : hostNames) {
            Host host = known.get(name);
            if (host == null || resolved.containsKey(name)) {
                continue;
            }
            String policy = host.hostKeyPolicy != null ? host.hostKeyPolicy : settings.hostKeyPolicy();
            HostKeyPolicy effective = HostKeyPolicy.fromWire(policy);
            if (effective == HostKeyPolicy.OFF && !settings.allowHostKeyPolicyOff()) {
                effective = HostKeyPolicy.OFF_FORBIDDEN;
            }
            List<SshTarget> jumps = new ArrayList<>();
            for (String jumpName : host.proxyJump == null ? List.<String>of() : jumpChain(host.proxyJump)) {
                Host jump = known.get(jumpName);
                if (jump == null) {
                    missingJumps.put(name, new MissingJumpHostException(name, jumpName));
                    jumps = null;
                    break;
                }
                jumps.add(target(tenantId, jump, HostKeyPolicy.STRICT, List.of(), secrets, keys));
            }
            if (jumps != null) {
                resolved.put(name, target(tenantId, host, effective, jumps, secrets, keys));
            }
        }
        return new Targets(resolved, missingJumps);
    }

    private static SshTarget target(
            String tenantId,
            Host host,
            HostKeyPolicy policy,
            List<SshTarget> jumps,
            Map<String, String[]> secrets,
            Map<String, List<KnownHostKey>> keys) {
        String[] secret = host.credential == null ? null : secrets.get(host.credential);
        List<String> trusted = new ArrayList<>();
        List<String> revoked = new ArrayList<>();
        List<String> authorities = new ArrayList<>();
        for (KnownHostKey k : keys.getOrDefault(host.name, List.of())) {
            if ("revoked".equals(k.marker)) {
                revoked.add(k.publicKey);
            } else if ("cert-authority".equals(k.marker)) {
                authorities.add(k.publicKey);
            } else if (k.marker == null) {
                trusted.add(k.publicKey);
            }
        }
        return new SshTarget(
                tenantId,
                host.name,
                host.address,
                host.port,
                host.user,
                secret == null ? null : secret[0],
                secret == null ? null : secret[1],
                trusted,
                revoked,
                authorities,
                policy,
                jumps,
                null);
    }

    /**
     * Stores {@code publicKey} as the trusted key of a host under {@code accept-new} that has no key yet, and audits
     * it ({@code known-host.accepted}) in the same short transaction. Concurrent first contacts are serialised per
     * host; a repeat of the same key is a no-op.
     *
     * @return true when the key is (now) trusted for the host, false when another key was stored meanwhile
     */
    @Transactional
    public boolean acceptFirstHostKey(Caller actor, String hostName, String publicKey) {
        String tenantId = actor.tenantId();
        tenants.ensureExists(tenantId);
        knownKeys.lockHost(tenantId, hostName);
        List<KnownHostKey> existing = knownKeys.forHost(tenantId, hostName);
        for (KnownHostKey k : existing) {
            if (k.marker == null && k.publicKey.equals(publicKey)) {
                return true;
            }
        }
        if (existing.stream().anyMatch(k -> k.marker == null || "cert-authority".equals(k.marker))
                || existing.stream().anyMatch(k -> k.publicKey.equals(publicKey))) {
            return false;
        }
        SshKeys.HostKey parsed = SshKeys.parseHostKeys(List.of(publicKey)).get(0);
        KnownHostKey row = new KnownHostKey();
        row.id = UUID.randomUUID();
        row.tenantId = tenantId;
        row.hostName = hostName;
        row.keyType = parsed.type();
        row.publicKey = parsed.publicKey();
        row.fingerprint = parsed.fingerprint();
        row.createdAt = Instant.now();
        row.createdBy = actor.subject();
        if (!knownKeys.insertIfAbsent(row)) {
            return true;
        }
        audit.record(
                actor,
                "known-host.accepted",
                "host/" + hostName,
                "ok",
                Map.of("fingerprint", parsed.fingerprint(), "type", parsed.type(), "policy", "accept-new"));
        return true;
    }

    /**
     * Audits one use of a host whose key was not verified (policy {@code off}) as {@code host-key.unverified}, with
     * the presented key's fingerprint.
     */
    @Transactional
    public void recordUnverifiedHostKey(Caller actor, String hostName, String fingerprint) {
        tenants.ensureExists(actor.tenantId());
        audit.record(
                actor,
                "host-key.unverified",
                "host/" + hostName,
                "ok",
                Map.of("fingerprint", fingerprint, "policy", "off"));
    }

    /** Audits a run's rejected host key as {@code host-key.rejected}; {@code reason} names the presented key. */
    @Transactional
    public void recordRejectedHostKey(Caller actor, String hostName, String policy, String reason) {
        tenants.ensureExists(actor.tenantId());
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("policy", policy);
        details.put("reason", reason == null ? "" : reason);
        audit.record(actor, "host-key.rejected", "host/" + hostName, "rejected", details);
    }

    /** Whether {@code name} is a valid name for a host, group or credential. */
    static boolean isValidName(String name) {
        return name != null && NAME.matcher(name).matches();
    }

    /** A key listed more than once keeps its strongest marker: revoked over cert-authority over plain trust. */
    private static int rank(SshKeys.HostKey key) {
        return key.marker() == null ? 0 : key.marker().equals("cert-authority") ? 1 : 2;
    }

    private static String aad(String tenantId, String credentialName) {
        return "dispatch-credential:" + tenantId + "/" + credentialName;
    }

    static void checkName(String field, String name, List<Violation> violations) {
        if (!isValidName(name)) {
            violations.add(new Violation(
                    field,
                    "must be 1-128 characters of letters, digits, '.', '_' or '-', starting with a letter or digit"));
        }
    }

    private static String emptyToNull(String s) {
        return s == null || s.isEmpty() ? null : s;
    }
}
