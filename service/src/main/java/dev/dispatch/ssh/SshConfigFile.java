package dev.dispatch.ssh;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.sshd.client.config.hosts.HostConfigEntry;
import org.apache.sshd.client.config.hosts.HostPatternsHolder;

/**
 * Reads an OpenSSH client configuration ({@code ~/.ssh/config}) with MINA SSHD's own parser and answers one plain
 * {@link Entry} per concrete host alias, so that MINA types stay inside this package. Wildcard and negated
 * {@code Host} patterns are not hosts; like OpenSSH, their values fill in what an alias's own block leaves unset
 * (for each keyword the first value found in file order wins). Paths and {@code %} tokens are returned as written,
 * never expanded against this server's home directory. Stateless and thread-safe.
 */
public final class SshConfigFile {
    /**
     * The effective settings of one {@code Host} alias.
     *
     * @param hostName the {@code HostName} value as written (may contain {@code %h}), or null
     * @param port the {@code Port}, or null when none applies
     * @param identityFile the first {@code IdentityFile} that applies, or null
     * @param proxyJump the {@code ProxyJump} value, or null (also for {@code none})
     */
    public record Entry(
            String alias, String hostName, Integer port, String user, String identityFile, String proxyJump) {}

    private SshConfigFile() {}

    /**
     * Parses the text of an ssh_config file.
     *
     * @return one entry per concrete alias, in file order (an alias named twice is reported once)
     * @throws InvalidSshConfigException when the file cannot be read ({@code Match} blocks, {@code Include},
     *         malformed lines or values)
     */
    public static List<Entry> parse(String text) {
        List<HostConfigEntry> entries;
        try {
            entries = HostConfigEntry.readHostConfigEntries(
                    new BufferedReader(new StringReader(text == null ? "" : text)));
        } catch (NumberFormatException e) {
            throw new InvalidSshConfigException("a numeric value is not a number: " + e.getMessage());
        } catch (IOException | RuntimeException e) {
            throw new InvalidSshConfigException(e.getMessage() == null ? "unreadable ssh_config" : e.getMessage());
        }
        Set<String> aliases = new LinkedHashSet<>();
        for (HostConfigEntry entry : entries) {
            for (Map.Entry<String, String> property : entry.getProperties().entrySet()) {
                if (property.getKey().equalsIgnoreCase("Include")) {
                    throw new InvalidSshConfigException(
                            "Include is not supported: send one file that holds every" + " Host block");
                }
            }
            String host = entry.getHost();
            if (host == null) {
                continue;
            }
            for (String pattern : host.split(",")) {
                String alias = pattern.strip();
                if (!alias.isEmpty() && HostPatternsHolder.isSpecificHostPattern(alias)) {
                    aliases.add(alias);
                }
            }
        }
        List<Entry> result = new ArrayList<>();
        for (String alias : aliases) {
            result.add(effective(alias, HostConfigEntry.findMatchingEntries(alias, entries)));
        }
        return result;
    }

    private static Entry effective(String alias, Collection<HostConfigEntry> matching) {
        HostConfigEntry merged = new HostConfigEntry();
        for (HostConfigEntry entry : matching) {
            merged.collate(entry);
        }
        Collection<String> identities = merged.getIdentities();
        String identity = identities == null || identities.isEmpty()
                ? null
                : identities.iterator().next();
        String jump = merged.getProxyJump();
        if (jump != null && (jump.isBlank() || jump.equalsIgnoreCase("none"))) {
            jump = null;
        }
        return new Entry(
                alias,
                merged.getHostName(),
                merged.getPort() != 0 ? merged.getPort() : null,
                merged.getUsername(),
                identity,
                jump);
    }
}
