package dev.dispatch.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * A fleet of real OpenSSH daemons listening on distinct loopback addresses (127.0.1.1, 127.0.1.2, ...), one sshd
 * per 16 addresses, for integration tests and benchmarks.
 *
 * <p>Each daemon runs in the foreground ({@code sshd -D -e}) with a generated configuration, host key and
 * authorized key under the given work directory. Where possible each daemon runs in a private mount namespace in
 * which the login user's {@code ~/.bashrc} is replaced by an empty file, so that remote commands do not pay for
 * interactive shell initialisation. Instances are immutable after {@link #start} returns and safe to read from any
 * thread.
 */
public final class OpenSshHosts implements AutoCloseable {

    /** A started host: inventory-style name (e.g. "h001"), its loopback address, port, and host key as "ssh-ed25519 AAAA..." (type + base64, no comment). */
    public record Host(String name, String address, int port, String hostKeyLine) {}

    private static final int ADDRESSES_PER_DAEMON = 16; // OpenSSH limit on ListenAddress lines
    private static final long READY_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(20);
    private static final long STOP_GRACE_NANOS = TimeUnit.SECONDS.toNanos(5);
    private static final int PORT_ATTEMPTS = 25;
    private static final int START_ATTEMPTS = 3;
    private static final int LOG_TAIL_CHARS = 4000;
    private static final Path PROC_NET_TCP = Path.of("/proc/net/tcp");

    private final List<Host> hosts;
    private final List<Process> daemons;
    private final String user;
    private final String userPrivateKey;
    private final String unauthorizedPrivateKey;
    private final String foreignHostKeyLine;
    private final Thread shutdownHook;
    private boolean closed; // guarded by this

    private OpenSshHosts(
            List<Host> hosts,
            List<Process> daemons,
            String user,
            String userPrivateKey,
            String unauthorizedPrivateKey,
            String foreignHostKeyLine) {
        this.hosts = List.copyOf(hosts);
        this.daemons = List.copyOf(daemons);
        this.user = user;
        this.userPrivateKey = userPrivateKey;
        this.unauthorizedPrivateKey = unauthorizedPrivateKey;
        this.foreignHostKeyLine = foreignHostKeyLine;
        this.shutdownHook = new Thread(() -> stop(this.daemons), "OpenSshHosts-shutdown");
        Runtime.getRuntime().addShutdownHook(shutdownHook);
    }

    /** Starts `count` hosts on loopback addresses 127.0.1.1, 127.0.1.2, ... (skip .0 and .255 when counting past 254 into 127.0.2.x, etc.), all on one free high port, one sshd per 16 addresses, with a fresh ed25519 host key and a fresh ed25519 user key written under workDir; blocks until every address accepts TCP connections (timeout 20 s, then throws with the sshd stderr). */
    public static OpenSshHosts start(int count, Path workDir) throws IOException {
        return start(count, workDir, "");
    }

    /** As {@link #start(int, Path)}, with extra sshd_config lines for every daemon (e.g. {@code KexAlgorithms ...}). */
    public static OpenSshHosts start(int count, Path workDir, String extraConfig) throws IOException {
        if (count < 1 || count > 254 * 254) {
            throw new IllegalArgumentException("count must be between 1 and " + (254 * 254) + ": " + count);
        }
        Path sshd = SshdBinary.path();
        Path dir = Files.createDirectories(workDir).toAbsolutePath();
        ensurePrivilegeSeparationDirectory();

        // Generate all keys concurrently, and find out meanwhile whether ~/.bashrc can be masked.
        Path hostKey = dir.resolve("ssh_host_ed25519_key");
        Path userKey = dir.resolve("user_ed25519_key");
        Path unauthorizedKey = dir.resolve("unauthorized_ed25519_key");
        Path foreignKey = dir.resolve("foreign_host_ed25519_key");
        Path emptyBashrc = dir.resolve("empty-bashrc");
        Files.write(emptyBashrc, new byte[0]);
        Path bashrc = Path.of(System.getProperty("user.home"), ".bashrc");
        List<Process> keygens = new ArrayList<>();
        for (Path key : List.of(hostKey, userKey, unauthorizedKey, foreignKey)) {
            keygens.add(startKeygen(key));
        }
        Process probe = startMountProbe(emptyBashrc, bashrc);
        for (int i = 0; i < keygens.size(); i++) {
            awaitSuccess(keygens.get(i), "ssh-keygen");
        }
        String unshare = probe != null && exitCode(probe) == 0 ? findExecutable("unshare") : null;

        String hostKeyLine = publicKeyLine(hostKey);
        String foreignHostKeyLine = publicKeyLine(foreignKey);
        Path authorizedKeys = dir.resolve("authorized_keys");
        Files.writeString(authorizedKeys, publicKeyLine(userKey) + " dispatch-test\n", StandardCharsets.UTF_8);

        List<String> addresses = addresses(count);
        IOException failure = null;
        for (int attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
            int port = choosePort(addresses);
            List<Process> daemons = new ArrayList<>();
            try {
                List<Path> logs = new ArrayList<>();
                for (int first = 0; first < addresses.size(); first += ADDRESSES_PER_DAEMON) {
                    List<String> group =
                            addresses.subList(first, Math.min(first + ADDRESSES_PER_DAEMON, addresses.size()));
                    int index = first / ADDRESSES_PER_DAEMON;
                    Path config = dir.resolve(String.format(Locale.ROOT, "sshd_config.%02d", index));
                    Path log = dir.resolve(String.format(Locale.ROOT, "sshd.%02d.log", index));
                    Path pid = dir.resolve(String.format(Locale.ROOT, "sshd.%02d.pid", index));
                    Files.writeString(
                            config,
                            config(group, port, hostKey, authorizedKeys, pid, extraConfig),
                            StandardCharsets.UTF_8);
                    Files.deleteIfExists(log);
                    daemons.add(startDaemon(sshd, config, log, unshare, emptyBashrc, bashrc));
                    logs.add(log);
                }
                if (awaitListening(addresses, port, daemons, logs)) {
                    List<Host> hosts = new ArrayList<>(count);
                    for (int i = 0; i < count; i++) {
                        String name = String.format(Locale.ROOT, "h%03d", i + 1); // h001 ... h999, h1000 ...
                        hosts.add(new Host(name, addresses.get(i), port, hostKeyLine));
                    }
                    return new OpenSshHosts(
                            hosts,
                            daemons,
                            System.getProperty("user.name"),
                            Files.readString(userKey, StandardCharsets.UTF_8),
                            Files.readString(unauthorizedKey, StandardCharsets.UTF_8),
                            foreignHostKeyLine);
                }
                // Another process took the port between our check and sshd's bind: retry on another port.
                stop(daemons);
                failure = new IOException("port " + port + " was taken while sshd started:" + logTails(logs));
            } catch (IOException | RuntimeException | Error e) {
                stop(daemons);
                throw e;
            }
        }
        throw failure;
    }

    /** All started hosts in address order (an unmodifiable list). */
    public List<Host> hosts() {
        return hosts;
    }

    /** The login user: the current OS user (System.getProperty("user.name")). */
    public String user() {
        return user;
    }

    /** Unencrypted OpenSSH-format private key text authorized on every host. */
    public String userPrivateKey() {
        return userPrivateKey;
    }

    /** A second private key (OpenSSH format, unencrypted) that no host authorizes. */
    public String unauthorizedPrivateKey() {
        return unauthorizedPrivateKey;
    }

    /** A valid "ssh-ed25519 AAAA..." host key line that belongs to no started host (for changed-key tests). */
    public String foreignHostKeyLine() {
        return foreignHostKeyLine;
    }

    /** A free port on 127.0.0.1 where nothing listens (for unreachable tests). */
    public static int closedPort() {
        // Prefer ports below the usual ephemeral range (32768+) so that a client can never connect to itself there.
        ThreadLocalRandom random = ThreadLocalRandom.current();
        for (int attempt = 0; attempt < 50; attempt++) {
            int port = random.nextInt(10_000, 20_000);
            if (canBind("127.0.0.1", port)) {
                return port;
            }
        }
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Stops every sshd (SIGTERM via Process.destroy, then destroyForcibly after 5 s) and waits for exit. */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException shutdownInProgress) {
            // the hook is running or will run; stopping twice is harmless
        }
        stop(daemons);
    }

    // ---------------------------------------------------------------------------------------------------------------

    static String findExecutable(String name) {
        String path = System.getenv("PATH");
        List<String> dirs = new ArrayList<>(path == null ? List.of() : List.of(path.split(":")));
        dirs.addAll(List.of("/usr/sbin", "/usr/bin", "/sbin", "/bin"));
        for (String d : dirs) {
            if (d.isEmpty()) {
                continue;
            }
            Path candidate = Path.of(d, name).toAbsolutePath();
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return candidate.toString();
            }
        }
        return null;
    }

    private static void ensurePrivilegeSeparationDirectory() {
        Path run = Path.of("/run/sshd");
        if (!Files.isDirectory(run)) {
            try {
                Files.createDirectories(run);
            } catch (IOException | SecurityException e) {
                // Not root: an unprivileged sshd does not use it; a root sshd will report the problem itself.
            }
        }
    }

    private static Process startKeygen(Path key) throws IOException {
        Files.deleteIfExists(key);
        Files.deleteIfExists(Path.of(key + ".pub"));
        return new ProcessBuilder(
                        "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "dispatch-test", "-f", key.toString())
                .redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .start();
    }

    /** Checks that we may create a mount namespace and hide ~/.bashrc in it; null when that is pointless. */
    private static Process startMountProbe(Path emptyBashrc, Path bashrc) {
        String unshare = findExecutable("unshare");
        if (unshare == null || !Files.isRegularFile(bashrc)) {
            return null;
        }
        try {
            return new ProcessBuilder(
                            unshare,
                            "-m",
                            "--propagation",
                            "private",
                            "sh",
                            "-c",
                            "mount --bind \"$1\" \"$2\"",
                            "sh",
                            emptyBashrc.toString(),
                            bashrc.toString())
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start();
        } catch (IOException e) {
            return null;
        }
    }

    private static Process startDaemon(Path sshd, Path config, Path log, String unshare, Path emptyBashrc, Path bashrc)
            throws IOException {
        List<String> command = new ArrayList<>();
        if (unshare != null) {
            // unshare and sh both exec, so the Process is the sshd itself and destroy() signals it directly.
            command.addAll(List.of(
                    unshare,
                    "-m",
                    "--propagation",
                    "private",
                    "sh",
                    "-c",
                    "mount --bind \"$1\" \"$2\" || echo 'OpenSshHosts: could not hide ~/.bashrc' >&2;"
                            + " exec \"$3\" -D -e -f \"$4\"",
                    "sh",
                    emptyBashrc.toString(),
                    bashrc.toString(),
                    sshd.toString(),
                    config.toString()));
        } else {
            command.addAll(List.of(sshd.toString(), "-D", "-e", "-f", config.toString()));
        }
        return new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .start();
    }

    private static String config(
            List<String> addresses, int port, Path hostKey, Path authorizedKeys, Path pidFile, String extraConfig) {
        StringBuilder s = new StringBuilder();
        for (String address : addresses) {
            s.append("ListenAddress ").append(address).append(':').append(port).append('\n');
        }
        s.append("HostKey ")
                .append(quote(hostKey))
                .append('\n')
                .append("PidFile ")
                .append(quote(pidFile))
                .append('\n')
                .append("AuthorizedKeysFile ")
                .append(quote(authorizedKeys))
                .append('\n')
                .append("""
                        StrictModes no
                        UsePAM no
                        PasswordAuthentication no
                        KbdInteractiveAuthentication no
                        PubkeyAuthentication yes
                        PermitRootLogin prohibit-password
                        MaxStartups 1000:30:2000
                        MaxSessions 64
                        LoginGraceTime 30
                        UseDNS no
                        PrintMotd no
                        PrintLastLog no
                        AcceptEnv *
                        Subsystem sftp internal-sftp
                        LogLevel ERROR
                        """);
        if (!extraConfig.isBlank()) {
            // sshd takes the first value of a keyword: a default that extraConfig sets again gives way to it.
            for (String line : extraConfig.strip().split("\n")) {
                String keyword = line.strip().split("\\s+", 2)[0];
                if (!keyword.isEmpty() && !keyword.startsWith("#")) {
                    String text = s.toString().replaceAll("(?m)^" + keyword + " .*\n", "");
                    s.setLength(0);
                    s.append(text);
                }
            }
            s.append(extraConfig.strip()).append('\n');
        }
        return s.toString();
    }

    private static String quote(Path path) {
        String p = path.toString();
        if (p.contains("\"") || p.contains("\n")) {
            throw new IllegalArgumentException("unsupported character in path: " + p);
        }
        return "\"" + p + "\"";
    }

    static List<String> addresses(int count) {
        List<String> result = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            result.add("127.0." + (1 + i / 254) + "." + (1 + i % 254));
        }
        return result;
    }

    private static int choosePort(List<String> addresses) throws IOException {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        for (int attempt = 0; attempt < PORT_ATTEMPTS; attempt++) {
            int port = random.nextInt(20_000, 45_001);
            if (bindableEverywhere(addresses, port)) {
                return port;
            }
        }
        throw new IOException("no port in 20000-45000 is free on all " + addresses.size() + " addresses after "
                + PORT_ATTEMPTS + " attempts");
    }

    private static boolean bindableEverywhere(List<String> addresses, int port) {
        for (String address : addresses) {
            if (!canBind(address, port)) {
                return false;
            }
        }
        return true;
    }

    private static boolean canBind(String address, int port) {
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(true); // as sshd does: TIME_WAIT leftovers do not block it
            socket.bind(new InetSocketAddress(InetAddress.getByName(address), port), 1);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Waits until every address has a listening socket on the port. Returns false when some sshd could not bind
     * because another process took the port; throws on any other failure or on timeout.
     */
    private static boolean awaitListening(List<String> addresses, int port, List<Process> daemons, List<Path> logs)
            throws IOException {
        boolean useProc = Files.isReadable(PROC_NET_TCP);
        Set<String> pending = new HashSet<>(addresses);
        long deadline = System.nanoTime() + READY_TIMEOUT_NANOS;
        while (true) {
            if (useProc) {
                pending.removeAll(listeningAddresses(port));
            } else {
                pending.removeIf(address -> accepts(address, port));
            }
            if (pending.isEmpty()) {
                return true;
            }
            for (int i = 0; i < daemons.size(); i++) {
                Process daemon = daemons.get(i);
                Path log = logs.get(i);
                boolean logged = Files.exists(log) && Files.size(log) > 0;
                if (logged && tail(log).contains("Address already in use")) {
                    return false;
                }
                if (!daemon.isAlive()) {
                    throw new IOException("sshd exited with status " + daemon.exitValue() + " during start-up:"
                            + logTails(List.of(log)));
                }
            }
            if (System.nanoTime() > deadline) {
                List<String> missing =
                        addresses.stream().filter(pending::contains).limit(10).toList();
                throw new IOException("sshd did not listen within 20 s on " + pending.size() + " of " + addresses.size()
                        + " addresses (e.g. " + missing + ") port " + port + ":" + logTails(logs));
            }
            sleep(5);
        }
    }

    /** Reads the kernel's table of listening IPv4 sockets, avoiding a connection (and so an sshd fork) per address. */
    private static Set<String> listeningAddresses(int port) throws IOException {
        String portHex = String.format(Locale.ROOT, ":%04X", port);
        boolean littleEndian = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN;
        Set<String> result = new HashSet<>();
        for (String line : Files.readAllLines(PROC_NET_TCP, StandardCharsets.US_ASCII)) {
            String[] fields = line.trim().split("\\s+");
            // sl local_address rem_address st ...; st 0A = LISTEN
            if (fields.length < 4 || !"0A".equals(fields[3]) || !fields[1].endsWith(portHex)) {
                continue;
            }
            long raw = Long.parseLong(fields[1].substring(0, 8), 16);
            int[] b = new int[4];
            for (int i = 0; i < 4; i++) {
                int shift = littleEndian ? 8 * i : 8 * (3 - i);
                b[i] = (int) (raw >>> shift) & 0xff;
            }
            result.add(b[0] + "." + b[1] + "." + b[2] + "." + b[3]);
        }
        return result;
    }

    /** True when something accepts TCP connections on address:port (200 ms connect timeout). */
    static boolean accepts(String address, int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(InetAddress.getByName(address), port), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** "type base64" of the public half ({@code privateKey}.pub) of an ssh-keygen key pair. */
    static String publicKeyLine(Path privateKey) throws IOException {
        String[] parts = Files.readString(Path.of(privateKey + ".pub"), StandardCharsets.UTF_8)
                .trim()
                .split("\\s+");
        if (parts.length < 2) {
            throw new IOException("unexpected public key file for " + privateKey);
        }
        return parts[0] + " " + parts[1];
    }

    private static void awaitSuccess(Process process, String what) throws IOException {
        int status = exitCode(process);
        if (status != 0) {
            String output;
            try (InputStream in = process.getInputStream()) {
                output = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            throw new IOException(what + " failed with status " + status + ": " + output.trim());
        }
    }

    private static int exitCode(Process process) {
        try {
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                return -1;
            }
            return process.exitValue();
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    /** SIGTERM to every daemon and its per-connection children, SIGKILL after the grace period, then wait. */
    private static void stop(List<Process> daemons) {
        List<ProcessHandle> all = new ArrayList<>();
        for (Process daemon : daemons) {
            if (daemon.isAlive()) {
                daemon.descendants().forEach(all::add);
                all.add(daemon.toHandle());
            }
        }
        all.forEach(ProcessHandle::destroy);
        long deadline = System.nanoTime() + STOP_GRACE_NANOS;
        for (ProcessHandle p : all) {
            long left = deadline - System.nanoTime();
            try {
                if (left > 0) {
                    p.onExit().get(left, TimeUnit.NANOSECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            } catch (Exception e) {
                // timed out: forced below
            }
        }
        for (ProcessHandle p : all) {
            if (p.isAlive()) {
                p.destroyForcibly();
            }
        }
        for (Process daemon : daemons) {
            try {
                daemon.waitFor(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private static String logTails(List<Path> logs) {
        StringBuilder s = new StringBuilder();
        for (Path log : logs) {
            String tail = tail(log);
            if (!tail.isBlank()) {
                s.append("\n--- ").append(log).append(" ---\n").append(tail.strip());
            }
        }
        return s.isEmpty() ? " (sshd wrote nothing to stderr)" : s.toString();
    }

    private static String tail(Path log) {
        try {
            String text = new String(Files.readAllBytes(log), StandardCharsets.UTF_8);
            return text.length() <= LOG_TAIL_CHARS ? text : "..." + text.substring(text.length() - LOG_TAIL_CHARS);
        } catch (IOException e) {
            return "";
        }
    }

    private static void sleep(long millis) throws IOException {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for sshd", e);
        }
    }
}
