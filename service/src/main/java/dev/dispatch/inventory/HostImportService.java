package dev.dispatch.inventory;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.dispatch.InvalidRequestException;
import dev.dispatch.InvalidRequestException.Violation;
import dev.dispatch.audit.AuditService;
import dev.dispatch.inventory.InventoryService.GroupSpec;
import dev.dispatch.inventory.InventoryService.HostSpec;
import dev.dispatch.ssh.InvalidSshConfigException;
import dev.dispatch.ssh.SshConfigFile;
import dev.dispatch.tenancy.Caller;
import dev.dispatch.tenancy.TenantService;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.transaction.Transactional;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Imports many hosts (and groups) from one file in one transaction, all or nothing: every entry is validated first,
 * each invalid one named (e.g. {@code hosts.web-1.port}), and nothing is written unless all are valid. Files never
 * carry key material; hosts name credentials that must already exist. Formats are described in the README
 * ("Inventory import"). Thread-safe.
 */
@ApplicationScoped
public class HostImportService {
    /** Label under which an ssh_config {@code IdentityFile} or bssh {@code ssh_key}/{@code key_path} is recorded. */
    public static final String IDENTITY_FILE_LABEL = "identity-file";

    private static final ObjectMapper TOML = TomlMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();
    private static final ObjectMapper YAML = YAMLMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();
    private static final Set<String> TOML_ROOT = Set.of("defaults", "hosts", "groups");
    private static final Set<String> TOML_DEFAULTS = Set.of("port", "user", "credential", "labels", "hostKeyPolicy");
    private static final Set<String> TOML_HOST =
            Set.of("address", "port", "user", "credential", "labels", "groups", "hostKeyPolicy", "proxyJump");
    private static final Set<String> TOML_GROUP = Set.of("members", "selector");
    private static final Set<String> YAML_ROOT = Set.of("defaults", "clusters");
    private static final Set<String> YAML_DEFAULTS =
            Set.of("user", "port", "ssh_key", "key_path", "credential", "jump_host", "parallel");
    private static final Set<String> YAML_CLUSTER =
            Set.of("nodes", "user", "port", "ssh_key", "key_path", "credential", "jump_host", "parallel");
    private static final Set<String> YAML_NODE =
            Set.of("host", "port", "user", "ssh_key", "key_path", "credential", "jump_host");

    private final InventoryService inventory;
    private final HostRepository hosts;
    private final HostGroupRepository groups;
    private final TenantService tenants;
    private final AuditService audit;

    public HostImportService(
            InventoryService inventory,
            HostRepository hosts,
            HostGroupRepository groups,
            TenantService tenants,
            AuditService audit) {
        this.inventory = inventory;
        this.hosts = hosts;
        this.groups = groups;
        this.tenants = tenants;
        this.audit = audit;
    }

    /** The file formats an import reads. */
    public enum Format {
        /** The dispatch format: {@code [defaults]}, {@code [hosts.NAME]} and {@code [groups.NAME]} tables. */
        TOML,
        /** bssh-style {@code clusters}: every cluster becomes a group of its nodes. */
        YAML,
        /** An OpenSSH client configuration: every concrete {@code Host} alias becomes a host. */
        SSH_CONFIG
    }

    /** What an import did (or, for a dry run, would do), in file order. */
    public record Result(
            boolean dryRun,
            List<String> created,
            List<String> updated,
            List<String> groupsCreated,
            List<String> groupsUpdated) {}

    /**
     * A host read from a file.
     *
     * @param field where it is in the file, prefix of its violations
     * @param connectionOnly the format describes only how to connect: an existing host keeps its labels, groups,
     *        host key policy and (unless one is named) credential
     */
    private record HostEntry(String field, String name, HostSpec spec, String identityFile, boolean connectionOnly) {
        boolean sameAs(HostEntry other) {
            return Objects.equals(spec.address(), other.spec.address())
                    && Objects.equals(spec.port(), other.spec.port())
                    && Objects.equals(spec.user(), other.spec.user())
                    && Objects.equals(spec.credential(), other.spec.credential())
                    && Objects.equals(identityFile, other.identityFile)
                    && Objects.equals(spec.proxyJump(), other.spec.proxyJump());
        }
    }

    /**
     * A group read from a file.
     *
     * @param membersOnly the format has no selectors: an existing group keeps its selector
     */
    private record GroupEntry(String field, String name, GroupSpec spec, boolean membersOnly) {}

    /** Everything read from a file, and what was wrong with it. */
    private record Parsed(List<HostEntry> hosts, List<GroupEntry> groups, List<Violation> violations) {
        Parsed() {
            this(new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
        }
    }

    /**
     * Validates the file and, unless {@code dryRun}, upserts every host and group in it with one audit record each
     * plus one for the import.
     *
     * @param defaultCredential credential for hosts whose entry names none (may be null)
     * @throws InvalidRequestException naming every invalid entry; nothing is written then
     */
    @Transactional
    public Result importHosts(Caller caller, Format format, String text, boolean dryRun, String defaultCredential) {
        Parsed parsed;
        if (text == null || text.isBlank()) {
            parsed = new Parsed();
            parsed.violations().add(new Violation("body", "the file is empty"));
        } else {
            parsed = switch (format) {
                case TOML -> parseToml(text);
                case YAML -> parseYaml(text);
                case SSH_CONFIG -> parseSshConfig(text);
            };
        }
        List<Violation> violations = parsed.violations();
        if (defaultCredential != null) {
            InventoryService.checkName("credential", defaultCredential, violations);
        }
        Map<String, HostEntry> byName = dedupe(parsed.hosts(), violations);
        if (violations.isEmpty() && byName.isEmpty() && parsed.groups().isEmpty()) {
            violations.add(new Violation("body", "the file names no hosts"));
        }

        Map<String, Host> existing = new HashMap<>();
        for (Host h : hosts.listForTenant(caller.tenantId())) {
            existing.put(h.name, h);
        }
        Map<String, HostSpec> specs = new LinkedHashMap<>();
        Set<String> credentialNames = new HashSet<>();
        if (defaultCredential != null) {
            credentialNames.add(defaultCredential);
        }
        for (HostEntry entry : byName.values()) {
            HostSpec spec = effective(entry, existing.get(entry.name()), defaultCredential);
            specs.put(entry.name(), spec);
            credentialNames.add(spec.credential());
        }
        Set<String> knownCredentials = inventory.credentialNamesLocked(caller.tenantId(), credentialNames);
        if (defaultCredential != null
                && InventoryService.isValidName(defaultCredential)
                && !knownCredentials.contains(defaultCredential)) {
            violations.add(new Violation("credential", "no credential named '" + defaultCredential + "'"));
        }
        Set<String> reported = new HashSet<>();
        violations.forEach(v -> reported.add(v.field()));
        List<Violation> more = new ArrayList<>();
        boolean offAllowed = tenants.lockSettings(caller.tenantId()).allowHostKeyPolicyOff();
        for (HostEntry entry : byName.values()) {
            HostSpec spec = specs.get(entry.name());
            inventory.validateHost(
                    entry.field() + ".", spec, c -> knownCredentials.contains(c) || c.equals(defaultCredential), more);
            inventory.validateJumps(
                    entry.field() + ".",
                    entry.name(),
                    spec,
                    h -> byName.containsKey(h) || existing.containsKey(h),
                    more);
            InventoryService.validatePolicy(entry.field() + ".", spec, offAllowed, more);
        }
        for (GroupEntry group : parsed.groups()) {
            inventory.validateGroup(
                    group.field() + ".", group.spec(), h -> byName.containsKey(h) || existing.containsKey(h), more);
        }
        more.stream().filter(v -> !reported.contains(v.field())).forEach(violations::add);
        if (!violations.isEmpty()) {
            throw new InvalidRequestException(violations);
        }

        List<String> created = new ArrayList<>();
        List<String> updated = new ArrayList<>();
        for (String name : specs.keySet()) {
            (existing.containsKey(name) ? updated : created).add(name);
        }
        Map<String, HostGroup> existingGroups = new HashMap<>();
        for (HostGroup g : groups.listForTenant(caller.tenantId())) {
            existingGroups.put(g.name, g);
        }
        List<String> groupsCreated = new ArrayList<>();
        List<String> groupsUpdated = new ArrayList<>();
        for (GroupEntry group : parsed.groups()) {
            (existingGroups.containsKey(group.name()) ? groupsUpdated : groupsCreated).add(group.name());
        }
        Result result = new Result(dryRun, created, updated, groupsCreated, groupsUpdated);
        if (dryRun) {
            return result;
        }

        tenants.ensureExists(caller.tenantId());
        String via = "import:" + format.name().toLowerCase().replace('_', '-');
        specs.forEach((name, spec) -> inventory.upsertHost(caller, name, spec, Map.of("via", via)));
        for (GroupEntry group : parsed.groups()) {
            GroupSpec spec = group.spec();
            HostGroup stored = existingGroups.get(group.name());
            if (group.membersOnly() && stored != null) {
                spec = new GroupSpec(spec.members(), stored.selector);
            }
            inventory.upsertGroup(caller, group.name(), spec, Map.of("via", via));
        }
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("format", via.substring("import:".length()));
        details.put("created", created.size());
        details.put("updated", updated.size());
        details.put("groupsCreated", groupsCreated.size());
        details.put("groupsUpdated", groupsUpdated.size());
        audit.record(caller, "hosts.import", "hosts", "ok", details);
        return result;
    }

    /** The host as it will be stored: formats that carry only connection facts keep the rest of an existing host. */
    private static HostSpec effective(HostEntry entry, Host current, String defaultCredential) {
        HostSpec spec = entry.spec();
        String credential = spec.credential() != null ? spec.credential() : defaultCredential;
        if (!entry.connectionOnly()) {
            return new HostSpec(
                    spec.address(),
                    spec.port(),
                    spec.user(),
                    credential,
                    spec.labels(),
                    spec.groups(),
                    spec.hostKeyPolicy(),
                    spec.proxyJump());
        }
        Map<String, String> labels = new LinkedHashMap<>();
        List<String> hostGroups = List.of();
        String policy = null;
        String jump = spec.proxyJump();
        if (current != null) {
            if (jump == null) {
                jump = current.proxyJump;
            }
            if (current.labels != null) {
                labels.putAll(current.labels);
            }
            hostGroups = current.groups == null ? List.of() : current.groups;
            policy = current.hostKeyPolicy;
            if (credential == null) {
                credential = current.credential;
            }
        }
        if (entry.identityFile() != null) {
            labels.put(IDENTITY_FILE_LABEL, entry.identityFile());
        }
        return new HostSpec(spec.address(), spec.port(), spec.user(), credential, labels, hostGroups, policy, jump);
    }

    /** One entry per host name; a name defined twice differently is a violation, identical repeats merge. */
    private static Map<String, HostEntry> dedupe(List<HostEntry> entries, List<Violation> violations) {
        Map<String, HostEntry> byName = new LinkedHashMap<>();
        for (HostEntry entry : entries) {
            HostEntry first = byName.putIfAbsent(entry.name(), entry);
            if (first != null && !first.sameAs(entry)) {
                violations.add(new Violation(
                        entry.field(),
                        "host '" + entry.name() + "' is also defined, differently, at " + first.field()));
            }
        }
        return byName;
    }

    // ---- TOML ------------------------------------------------------------------------------------------------

    private static Parsed parseToml(String text) {
        Parsed p = new Parsed();
        JsonNode root = readTree(TOML, "TOML", text, p.violations());
        if (root == null) {
            return p;
        }
        List<Violation> v = p.violations();
        onlyKeys(root, "", TOML_ROOT, v);
        JsonNode defaults = root.get("defaults");
        HostSpec base = new HostSpec(null, null, null, null, Map.of(), null, null, null);
        if (defaults != null) {
            if (!defaults.isObject()) {
                v.add(new Violation("defaults", "must be a table"));
            } else {
                onlyKeys(defaults, "defaults", TOML_DEFAULTS, v);
                base = new HostSpec(
                        null,
                        integer(defaults, "port", "defaults", v),
                        text(defaults, "user", "defaults", v),
                        text(defaults, "credential", "defaults", v),
                        stringMap(defaults, "labels", "defaults", v),
                        null,
                        text(defaults, "hostKeyPolicy", "defaults", v),
                        null);
            }
        }
        JsonNode hostTable = root.get("hosts");
        if (hostTable != null && !hostTable.isObject()) {
            v.add(new Violation("hosts", "must be a table of [hosts.NAME] tables"));
        } else if (hostTable != null) {
            for (Iterator<Map.Entry<String, JsonNode>> it = hostTable.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                String field = "hosts." + e.getKey();
                JsonNode h = e.getValue();
                if (!InventoryService.isValidName(e.getKey())) {
                    InventoryService.checkName(field, e.getKey(), v);
                    continue;
                }
                if (!h.isObject()) {
                    v.add(new Violation(field, "must be a table"));
                    continue;
                }
                onlyKeys(h, field, TOML_HOST, v);
                Map<String, String> labels = new LinkedHashMap<>(base.labels() == null ? Map.of() : base.labels());
                Map<String, String> own = stringMap(h, "labels", field, v);
                if (own != null) {
                    labels.putAll(own);
                }
                HostSpec spec = new HostSpec(
                        text(h, "address", field, v),
                        or(integer(h, "port", field, v), base.port()),
                        or(text(h, "user", field, v), base.user()),
                        or(text(h, "credential", field, v), base.credential()),
                        labels,
                        stringList(h, "groups", field, v),
                        or(text(h, "hostKeyPolicy", field, v), base.hostKeyPolicy()),
                        text(h, "proxyJump", field, v));
                p.hosts().add(new HostEntry(field, e.getKey(), spec, null, false));
            }
        }
        JsonNode groupTable = root.get("groups");
        if (groupTable != null && !groupTable.isObject()) {
            v.add(new Violation("groups", "must be a table of [groups.NAME] tables"));
        } else if (groupTable != null) {
            for (Iterator<Map.Entry<String, JsonNode>> it = groupTable.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                String field = "groups." + e.getKey();
                if (!InventoryService.isValidName(e.getKey())) {
                    InventoryService.checkName(field, e.getKey(), v);
                    continue;
                }
                if (!e.getValue().isObject()) {
                    v.add(new Violation(field, "must be a table"));
                    continue;
                }
                onlyKeys(e.getValue(), field, TOML_GROUP, v);
                p.groups()
                        .add(new GroupEntry(
                                field,
                                e.getKey(),
                                new GroupSpec(
                                        stringList(e.getValue(), "members", field, v),
                                        stringMap(e.getValue(), "selector", field, v)),
                                false));
            }
        }
        return p;
    }

    // ---- YAML (bssh clusters) --------------------------------------------------------------------------------

    /** Connection settings that cascade from defaults to cluster to node. */
    private record Cascade(String user, Integer port, String identityFile, String credential) {
        Cascade under(Cascade more) {
            return new Cascade(
                    or(more.user, user),
                    or(more.port, port),
                    or(more.identityFile, identityFile),
                    or(more.credential, credential));
        }
    }

    private static Parsed parseYaml(String text) {
        Parsed p = new Parsed();
        JsonNode root = readTree(YAML, "YAML", text, p.violations());
        if (root == null) {
            return p;
        }
        List<Violation> v = p.violations();
        onlyKeys(root, "", YAML_ROOT, v);
        Cascade defaults = new Cascade(null, null, null, null);
        JsonNode d = root.get("defaults");
        if (d != null && !d.isNull()) {
            if (!d.isObject()) {
                v.add(new Violation("defaults", "must be a mapping"));
            } else {
                onlyKeys(d, "defaults", YAML_DEFAULTS, v);
                defaults = cascade(d, "defaults", v);
            }
        }
        JsonNode clusters = root.get("clusters");
        if (clusters == null || !clusters.isObject()) {
            v.add(new Violation("clusters", "must be a mapping of cluster name to {nodes: [...]}"));
            return p;
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = clusters.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String field = "clusters." + e.getKey();
            if (!InventoryService.isValidName(e.getKey())) {
                InventoryService.checkName(field, e.getKey(), v);
                continue;
            }
            JsonNode c = e.getValue();
            if (!c.isObject()) {
                v.add(new Violation(field, "must be a mapping with nodes"));
                continue;
            }
            onlyKeys(c, field, YAML_CLUSTER, v);
            Cascade cluster = defaults.under(cascade(c, field, v));
            JsonNode nodes = c.get("nodes");
            if (nodes == null || !nodes.isArray() || nodes.isEmpty()) {
                v.add(new Violation(field + ".nodes", "must list at least one node"));
                continue;
            }
            List<String> members = new ArrayList<>();
            for (int i = 0; i < nodes.size(); i++) {
                HostEntry entry = node(nodes.get(i), field + ".nodes[" + i + "]", cluster, v);
                if (entry != null) {
                    p.hosts().add(entry);
                    members.add(entry.name());
                }
            }
            if (!members.isEmpty()) {
                p.groups()
                        .add(new GroupEntry(
                                field,
                                e.getKey(),
                                new GroupSpec(List.copyOf(new LinkedHashSet<>(members)), null),
                                true));
            }
        }
        return p;
    }

    private static Cascade cascade(JsonNode node, String field, List<Violation> v) {
        String jump = text(node, "jump_host", field, v);
        if (jump != null && !jump.isBlank()) {
            v.add(new Violation(
                    field + ".jump_host", "jump hosts are not supported; list hosts dispatch can reach" + " directly"));
        }
        String user = text(node, "user", field, v);
        if (user != null && user.contains("${")) {
            v.add(new Violation(field + ".user", "environment variables are not expanded; give the user name"));
        }
        String sshKey = text(node, "ssh_key", field, v);
        String keyPath = text(node, "key_path", field, v);
        return new Cascade(
                user, integer(node, "port", field, v), or(sshKey, keyPath), text(node, "credential", field, v));
    }

    /** One bssh node: {@code "[user@]host[:port]"} (IPv6 in brackets) or {@code {host, port, user, ...}}. */
    private static HostEntry node(JsonNode node, String field, Cascade cluster, List<Violation> v) {
        String host;
        Cascade own;
        if (node.isTextual()) {
            String s = node.asText().strip();
            String user = null;
            Integer port = null;
            int at = s.lastIndexOf('@');
            if (at >= 0) {
                user = s.substring(0, at);
                s = s.substring(at + 1);
            }
            String portText = null;
            if (s.startsWith("[")) {
                int close = s.indexOf(']');
                if (close < 0 || (close + 1 < s.length() && s.charAt(close + 1) != ':')) {
                    v.add(new Violation(field, "'" + node.asText() + "' is not [user@]host[:port]"));
                    return null;
                }
                host = s.substring(1, close);
                portText = close + 1 < s.length() ? s.substring(close + 2) : null;
            } else if (s.indexOf(':') >= 0 && s.indexOf(':') == s.lastIndexOf(':')) {
                host = s.substring(0, s.indexOf(':'));
                portText = s.substring(s.indexOf(':') + 1);
            } else {
                host = s;
            }
            if (portText != null) {
                try {
                    port = Integer.parseInt(portText);
                } catch (NumberFormatException e) {
                    v.add(new Violation(field, "port '" + portText + "' is not a number"));
                    return null;
                }
            }
            if (user != null && user.isEmpty()) {
                v.add(new Violation(field, "'" + node.asText() + "' has an empty user before '@'"));
                return null;
            }
            own = new Cascade(user, port, null, null);
        } else if (node.isObject()) {
            onlyKeys(node, field, YAML_NODE, v);
            host = text(node, "host", field, v);
            own = cascade(node, field, v);
        } else {
            v.add(new Violation(field, "must be \"[user@]host[:port]\" or a mapping with host"));
            return null;
        }
        if (host == null || host.isBlank()) {
            v.add(new Violation(field, "names no host"));
            return null;
        }
        Cascade c = cluster.under(own);
        int port = c.port() == null ? 22 : c.port();
        String name = host.replace(':', '-') + (port == 22 ? "" : "_" + port);
        if (!InventoryService.isValidName(name)) {
            v.add(new Violation(
                    field,
                    "gives the host name '" + name + "', which is not valid: 1-128 letters, digits,"
                            + " '.', '_' or '-', starting with a letter or digit"));
            return null;
        }
        return new HostEntry(
                field,
                name,
                new HostSpec(host, c.port(), c.user(), c.credential(), null, null, null, null),
                c.identityFile(),
                true);
    }

    // ---- ssh_config ------------------------------------------------------------------------------------------

    private static Parsed parseSshConfig(String text) {
        Parsed p = new Parsed();
        List<SshConfigFile.Entry> entries;
        try {
            entries = SshConfigFile.parse(text);
        } catch (InvalidSshConfigException e) {
            p.violations().add(new Violation("body", "not a readable ssh_config file: " + e.getMessage()));
            return p;
        }
        List<Violation> v = p.violations();
        for (SshConfigFile.Entry e : entries) {
            String field = "hosts." + e.alias();
            if (!InventoryService.isValidName(e.alias())) {
                v.add(new Violation(
                        field,
                        "Host alias '" + e.alias() + "' is not a valid host name: 1-128 letters,"
                                + " digits, '.', '_' or '-', starting with a letter or digit"));
                continue;
            }
            if (e.proxyJump() != null
                    && (e.proxyJump().contains("@") || e.proxyJump().contains(":"))) {
                v.add(new Violation(
                        field + ".proxyJump",
                        "jump hosts must be Host aliases of this file or inventory"
                                + " hosts (without user@ or :port)"));
            }
            String address = e.alias();
            if (e.hostName() != null) {
                address = expandHostName(e.hostName(), e.alias());
                if (address == null) {
                    v.add(new Violation(field + ".hostName", "only the %h and %% tokens are supported"));
                    continue;
                }
            }
            p.hosts()
                    .add(new HostEntry(
                            field,
                            e.alias(),
                            new HostSpec(address, e.port(), e.user(), null, null, null, null, e.proxyJump()),
                            e.identityFile(),
                            true));
        }
        return p;
    }

    private static String expandHostName(String hostName, String alias) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < hostName.length(); i++) {
            char ch = hostName.charAt(i);
            if (ch != '%') {
                out.append(ch);
            } else if (i + 1 < hostName.length() && hostName.charAt(i + 1) == 'h') {
                out.append(alias);
                i++;
            } else if (i + 1 < hostName.length() && hostName.charAt(i + 1) == '%') {
                out.append('%');
                i++;
            } else {
                return null;
            }
        }
        return out.toString();
    }

    // ---- reading trees ---------------------------------------------------------------------------------------

    private static JsonNode readTree(ObjectMapper mapper, String format, String text, List<Violation> v) {
        try {
            JsonNode root = mapper.readTree(text);
            if (root == null || !root.isObject()) {
                v.add(new Violation("body", "not a " + format + " document with tables/mappings at the top"));
                return null;
            }
            return root;
        } catch (JacksonException e) {
            String where = e.getLocation() == null
                    ? ""
                    : " (line " + e.getLocation().getLineNr() + ", column "
                            + e.getLocation().getColumnNr() + ")";
            v.add(new Violation("body", "not valid " + format + where + ": " + reason(e.getOriginalMessage())));
            return null;
        }
    }

    /** The parser's explanation without the indented lines (position, echoed input, caret) snakeyaml adds. */
    private static String reason(String message) {
        if (message == null) {
            return "unreadable";
        }
        List<String> lines = message.lines()
                .filter(l -> !l.isBlank() && !Character.isWhitespace(l.charAt(0)))
                .toList();
        return lines.isEmpty() ? message.strip() : String.join("; ", lines);
    }

    private static void onlyKeys(JsonNode node, String field, Set<String> allowed, List<Violation> v) {
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String key = it.next();
            if (!allowed.contains(key)) {
                v.add(new Violation(
                        field.isEmpty() ? key : field + "." + key,
                        "unknown field (known: "
                                + String.join(", ", allowed.stream().sorted().toList()) + ")"));
            }
        }
    }

    private static String text(JsonNode node, String key, String field, List<Violation> v) {
        JsonNode value = node.get(key);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isTextual()) {
            v.add(new Violation(field + "." + key, "must be a string"));
            return null;
        }
        return value.asText();
    }

    private static Integer integer(JsonNode node, String key, String field, List<Violation> v) {
        JsonNode value = node.get(key);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isIntegralNumber() || !value.canConvertToInt()) {
            v.add(new Violation(field + "." + key, "must be an integer"));
            return null;
        }
        return value.intValue();
    }

    private static Map<String, String> stringMap(JsonNode node, String key, String field, List<Violation> v) {
        JsonNode value = node.get(key);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isObject()) {
            v.add(new Violation(field + "." + key, "must be a table of strings"));
            return null;
        }
        Map<String, String> map = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = value.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!e.getValue().isTextual()) {
                v.add(new Violation(field + "." + key + "." + e.getKey(), "must be a string"));
            } else {
                map.put(e.getKey(), e.getValue().asText());
            }
        }
        return map;
    }

    private static List<String> stringList(JsonNode node, String key, String field, List<Violation> v) {
        JsonNode value = node.get(key);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isArray()) {
            v.add(new Violation(field + "." + key, "must be a list of strings"));
            return null;
        }
        List<String> list = new ArrayList<>();
        for (int i = 0; i < value.size(); i++) {
            if (!value.get(i).isTextual()) {
                v.add(new Violation(field + "." + key + "[" + i + "]", "must be a string"));
            } else {
                list.add(value.get(i).asText());
            }
        }
        return list;
    }

    private static <T> T or(T first, T second) {
        return first != null ? first : second;
    }
}
