package dev.dispatch.embedded;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.apache.sshd.common.config.keys.writer.openssh.OpenSSHKeyPairResourceWriter;
import org.apache.sshd.common.keyprovider.KeyPairProvider;
import org.apache.sshd.server.SshServer;
import org.apache.sshd.server.channel.ChannelSession;
import org.apache.sshd.server.shell.InvertedShell;
import org.apache.sshd.server.shell.ProcessShell;
import org.apache.sshd.server.shell.ProcessShellFactory;

/**
 * In-process SSH hosts for a first look at a fan-out: one Apache MINA {@link SshServer} per host on 127.0.0.1 (random
 * port, its own fresh ed25519 host key), accepting only one freshly generated user key, under any user name. Commands
 * really run, through {@code /bin/sh -c} as the launcher's OS user, in a per-host directory
 * {@code $DISPATCH_HOME/embedded/demo/<host>} that is also their {@code $HOME}; {@code $DEMO_HOST} names the host.
 */
final class DemoHosts implements AutoCloseable {
    /** A started host: inventory name, port on 127.0.0.1, host key as {@code "ssh-ed25519 AAAA..."}. */
    record Host(String name, int port, String hostKeyLine) {
    }

    private final List<SshServer> servers;
    private final List<Host> hosts;
    private final String userPrivateKey;

    private DemoHosts(List<SshServer> servers, List<Host> hosts, String userPrivateKey) {
        this.servers = servers;
        this.hosts = List.copyOf(hosts);
        this.userPrivateKey = userPrivateKey;
    }

    /** Starts {@code count} hosts named demo-1..demo-N; on failure stops those already started. */
    static DemoHosts start(int count, Path workDir) throws IOException, GeneralSecurityException {
        KeyPair userKey = KeyUtils.generateKeyPair(KeyPairProvider.SSH_ED25519, 256);
        List<SshServer> servers = new ArrayList<>();
        List<Host> hosts = new ArrayList<>();
        try {
            for (int i = 1; i <= count; i++) {
                String name = "demo-" + i;
                Path home = Files.createDirectories(workDir.resolve(name)).toAbsolutePath();
                KeyPair hostKey = KeyUtils.generateKeyPair(KeyPairProvider.SSH_ED25519, 256);
                SshServer server = SshServer.setUpDefaultServer();
                server.setHost("127.0.0.1");
                server.setPort(0);
                server.setKeyPairProvider(KeyPairProvider.wrap(hostKey));
                server.setPublickeyAuthenticator((user, key, session) -> KeyUtils.compareKeys(key, userKey.getPublic()));
                server.setPasswordAuthenticator(null);
                server.setKeyboardInteractiveAuthenticator(null);
                server.setCommandFactory((channel, command) -> new DemoShellFactory(name, home, command)
                        .createShell(channel));
                servers.add(server);
                server.start();
                hosts.add(new Host(name, server.getPort(), PublicKeyEntry.toString(hostKey.getPublic())));
            }
            return new DemoHosts(servers, hosts, openSshPrivateKey(userKey));
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            new DemoHosts(servers, List.of(), "").close();
            throw e;
        }
    }

    List<Host> hosts() {
        return hosts;
    }

    /** The one accepted user key, OpenSSH format (becomes the demo tenant's credential). */
    String userPrivateKey() {
        return userPrivateKey;
    }

    @Override
    public void close() {
        for (SshServer server : servers) {
            try {
                server.stop(true);
            } catch (IOException e) {
                Console.warn("demo SSH host on port " + server.getPort() + " did not stop: " + e.getMessage());
            }
        }
    }

    private static String openSshPrivateKey(KeyPair pair) throws IOException, GeneralSecurityException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        OpenSSHKeyPairResourceWriter.INSTANCE.writePrivateKey(pair, "dispatch-demo", null, out);
        return out.toString(StandardCharsets.US_ASCII);
    }

    /** Runs one exec request as {@code /bin/sh -c COMMAND} in the host's directory, with its environment added. */
    private static final class DemoShellFactory extends ProcessShellFactory {
        private final String host;
        private final Path home;

        DemoShellFactory(String host, Path home, String command) {
            super(command, List.of("/bin/sh", "-c", command));
            this.host = host;
            this.home = home;
        }

        @Override
        protected List<String> resolveEffectiveCommand(ChannelSession channel, String rawCommand,
                List<String> parsedElements) {
            // the outer shell only changes directory; the command itself is "$1" of an exec'd inner shell
            return List.of("/bin/sh", "-c", "cd \"$HOME\" && exec /bin/sh -c \"$1\"", "demo-sh", rawCommand);
        }

        @Override
        protected InvertedShell createInvertedShell(ChannelSession channel) {
            return new ProcessShell(resolveEffectiveCommand(channel, getCommand(), getElements())) {
                @Override
                protected Map<String, String> resolveShellEnvironment(Map<String, String> env) {
                    Map<String, String> inherited = super.resolveShellEnvironment(env);
                    Map<String, String> resolved = inherited == null ? new HashMap<>() : new HashMap<>(inherited);
                    resolved.put("HOME", home.toString());
                    resolved.put("DEMO_HOST", host);
                    return resolved;
                }
            };
        }
    }
}
