package dev.dispatch.testing;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * One real OpenSSH {@code sshd} with its own fresh host key on a loopback address chosen by the test (use
 * {@code 127.0.3.x}: the shared fleet uses {@code 127.0.1.x}), a random free port, the fleet's login key authorized,
 * and optionally:
 * <ul>
 *   <li>a host certificate signed by a test CA for given principals ({@code HostCertificate});</li>
 *   <li>extra {@code /etc/hosts} lines visible only to this daemon (a private mount namespace), so that a name
 *       resolves from this host alone: what a jump host sees but the client does not.</li>
 * </ul>
 */
public final class CustomSshd implements AutoCloseable {
    private final Process daemon;
    private final String address;
    private final int port;
    private final String hostKeyLine;
    private final Path log;

    private CustomSshd(Process daemon, String address, int port, String hostKeyLine, Path log) {
        this.daemon = daemon;
        this.address = address;
        this.port = port;
        this.hostKeyLine = hostKeyLine;
        this.log = log;
    }

    /** A test certificate authority: an ed25519 key pair in {@code dir}. */
    public record Authority(Path privateKey, String publicKeyLine) {
        /** Generates a fresh CA key. */
        public static Authority create(Path dir, String name) throws IOException {
            Files.createDirectories(dir);
            Path key = dir.resolve(name);
            keygen(key);
            return new Authority(key, OpenSshHosts.publicKeyLine(key));
        }
    }

    /**
     * Starts the daemon and waits until it accepts connections.
     *
     * @param signer CA that certifies the host key for {@code principals}, or null for a plain host key
     * @param extraHosts {@code /etc/hosts} lines only this daemon sees, or empty
     */
    public static CustomSshd start(
            Path dir,
            String address,
            String userPrivateKey,
            Authority signer,
            List<String> principals,
            List<String> extraHosts)
            throws IOException {
        Path work = Files.createDirectories(dir).toAbsolutePath();
        Path hostKey = work.resolve("host_ed25519_key");
        keygen(hostKey);
        Path userKey = work.resolve("user_key");
        Files.writeString(userKey, userPrivateKey);
        Files.setPosixFilePermissions(userKey, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        Path authorized = work.resolve("authorized_keys");
        Files.writeString(
                authorized, run("ssh-keygen", "-y", "-f", userKey.toString()).strip() + "\n");
        StringBuilder config = new StringBuilder();
        int port = freePort(address);
        config.append("ListenAddress ")
                .append(address)
                .append(':')
                .append(port)
                .append('\n')
                .append("HostKey \"")
                .append(hostKey)
                .append("\"\n")
                .append("PidFile \"")
                .append(work.resolve("sshd.pid"))
                .append("\"\n")
                .append("AuthorizedKeysFile \"")
                .append(authorized)
                .append("\"\n");
        if (signer != null) {
            run(
                    "ssh-keygen",
                    "-q",
                    "-s",
                    signer.privateKey().toString(),
                    "-I",
                    "dispatch-test-host",
                    "-h",
                    "-n",
                    String.join(",", principals),
                    hostKey + ".pub");
            config.append("HostCertificate \"").append(hostKey).append("-cert.pub\"\n");
        }
        config.append("""
                StrictModes no
                UsePAM no
                PasswordAuthentication no
                KbdInteractiveAuthentication no
                PubkeyAuthentication yes
                PermitRootLogin prohibit-password
                AllowTcpForwarding yes
                UseDNS no
                PrintMotd no
                LogLevel VERBOSE
                """);
        Path configFile = work.resolve("sshd_config");
        Files.writeString(configFile, config.toString());
        Path log = work.resolve("sshd.log");
        List<String> command = new ArrayList<>();
        if (extraHosts.isEmpty()) {
            command.addAll(List.of(SshdBinary.path().toString(), "-D", "-e", "-f", configFile.toString()));
        } else {
            Path hosts = work.resolve("hosts");
            Files.writeString(
                    hosts, Files.readString(Path.of("/etc/hosts")) + "\n" + String.join("\n", extraHosts) + "\n");
            command.addAll(List.of(
                    "unshare",
                    "-m",
                    "--propagation",
                    "private",
                    "sh",
                    "-c",
                    "mount --bind \"$1\" /etc/hosts && exec \"$3\" -D -e -f \"$2\"",
                    "sh",
                    hosts.toString(),
                    configFile.toString(),
                    SshdBinary.path().toString()));
        }
        Process daemon = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .start();
        CustomSshd sshd = new CustomSshd(daemon, address, port, OpenSshHosts.publicKeyLine(hostKey), log);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!OpenSshHosts.accepts(address, port)) {
            if (!daemon.isAlive() || System.nanoTime() > deadline) {
                sshd.close();
                throw new IOException("sshd on " + address + ":" + port + " did not start: " + sshd.log());
            }
            sleep();
        }
        return sshd;
    }

    public String address() {
        return address;
    }

    public int port() {
        return port;
    }

    /** The plain host key, {@code "ssh-ed25519 AAAA..."}. */
    public String hostKeyLine() {
        return hostKeyLine;
    }

    /** What the daemon logged so far (LogLevel VERBOSE). */
    public String log() {
        try {
            return Files.readString(log, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    @Override
    public void close() {
        daemon.descendants().forEach(ProcessHandle::destroy);
        daemon.destroy();
        try {
            if (!daemon.waitFor(5, TimeUnit.SECONDS)) {
                daemon.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void keygen(Path key) throws IOException {
        Files.deleteIfExists(key);
        Files.deleteIfExists(Path.of(key + ".pub"));
        run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "dispatch-test", "-f", key.toString());
    }

    private static String run(String... command) throws IOException {
        Process p = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (!p.waitFor(20, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IOException(String.join(" ", command) + " failed: " + out);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        return out;
    }

    private static int freePort(String address) {
        for (int attempt = 0; attempt < 50; attempt++) {
            int port = ThreadLocalRandom.current().nextInt(20_000, 45_001);
            try (ServerSocket s = new ServerSocket()) {
                s.setReuseAddress(true);
                s.bind(new InetSocketAddress(InetAddress.getByName(address), port), 1);
                return port;
            } catch (IOException e) {
                // taken: try another
            }
        }
        throw new UncheckedIOException(new IOException("no free port on " + address));
    }

    private static void sleep() throws IOException {
        try {
            Thread.sleep(20);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }
}
