package dev.dispatch.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.CopyOption;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.sshd.common.channel.Channel;
import org.apache.sshd.common.channel.ChannelFactory;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.apache.sshd.common.config.keys.writer.openssh.OpenSSHKeyPairResourceWriter;
import org.apache.sshd.common.file.virtualfs.VirtualFileSystemFactory;
import org.apache.sshd.common.keyprovider.KeyPairProvider;
import org.apache.sshd.common.session.Session;
import org.apache.sshd.common.session.SessionListener;
import org.apache.sshd.core.CoreModuleProperties;
import org.apache.sshd.server.Environment;
import org.apache.sshd.server.ExitCallback;
import org.apache.sshd.server.Signal;
import org.apache.sshd.server.SshServer;
import org.apache.sshd.server.channel.ChannelSession;
import org.apache.sshd.server.channel.ChannelSessionFactory;
import org.apache.sshd.server.command.Command;
import org.apache.sshd.server.session.ServerSession;
import org.apache.sshd.sftp.SftpModuleProperties;
import org.apache.sshd.sftp.server.SftpEventListener;
import org.apache.sshd.sftp.server.SftpSubsystemFactory;

/**
 * An in-process Apache SSHD server on a random port of 127.0.0.1 whose commands are Java code, so that tests can
 * inject faults an OpenSSH host cannot produce on demand. It has a fresh ECDSA host key, accepts exactly one
 * (fresh) user key for any user name, and serves SFTP over an optional root directory.
 *
 * <p>Commands (the first word decides, the rest is an argument):
 * <ul>
 *   <li>{@code echo TEXT}: prints TEXT and a newline, exit 0.</li>
 *   <li>{@code exit N}: exit status N.</li>
 *   <li>{@code sleep MS}: waits MS milliseconds, prints "slept" and a newline, exit 0.</li>
 *   <li>{@code stall TEXT}: prints TEXT, then neither writes nor exits and ignores signals until the channel is
 *       closed.</li>
 *   <li>{@code wait TEXT}: prints TEXT, then waits for a signal and exits 143 on TERM or 137 on KILL.</li>
 *   <li>{@code disconnect TEXT}: prints TEXT, then drops the whole connection without an exit status.</li>
 *   <li>{@code flood BYTES}: writes BYTES bytes of stdout as fast as the client's window allows, counting them in
 *       {@link #bytesSent()}, exit 0.</li>
 * </ul>
 * Anything else exits 127 with "command not found" on stderr. Signals that commands receive are recorded in
 * {@link #signalsReceived()}. Thread-safe.
 */
public final class FaultySshServer implements AutoCloseable {
    private static final int WRITE_CHUNK = 32 * 1024;

    private final KeyPair hostKey;
    private final KeyPair userKey;
    private final String userPrivateKey;
    private final Path sftpRoot;
    private final AtomicInteger sessionsOpened = new AtomicInteger();
    private final AtomicLong bytesSent = new AtomicLong();
    private final List<Thread> commandThreads = new CopyOnWriteArrayList<>();
    private final List<String> signalsReceived = new CopyOnWriteArrayList<>();
    private final Set<Session> liveSessions = ConcurrentHashMap.newKeySet();
    private final Set<Session> refusingChannels = ConcurrentHashMap.newKeySet();
    private volatile String renameVeto;
    private int port;
    private SshServer server;

    private FaultySshServer(KeyPair hostKey, KeyPair userKey, Path sftpRoot) {
        this.hostKey = hostKey;
        this.userKey = userKey;
        this.userPrivateKey = openSshText(userKey);
        this.sftpRoot = sftpRoot;
    }

    /** Starts a server on a random free port of 127.0.0.1; {@code sftpRoot} (nullable) is the SFTP root. */
    public static FaultySshServer start(Path sftpRoot) throws IOException {
        FaultySshServer s = new FaultySshServer(ecKeyPair(), ecKeyPair(), sftpRoot);
        s.listen(0);
        return s;
    }

    /** Stops the server, dropping every connection, and starts a new one on the same port with the same keys. */
    public synchronized void restart() throws IOException {
        server.stop(true);
        listen(port);
    }

    /** The listening port. */
    public synchronized int port() {
        return port;
    }

    /** {@code "ecdsa-sha2-nistp256 AAAA..."}: the host key clients must trust. */
    public String hostKeyLine() {
        return PublicKeyEntry.toString(hostKey.getPublic());
    }

    /** The accepted user key as OpenSSH private key text (unencrypted); the same text on every call. */
    public String userPrivateKey() {
        return userPrivateKey;
    }

    private static String openSshText(KeyPair key) {
        // Encoded once: the format carries a random check value, and pools key sessions by credential text.
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            new OpenSSHKeyPairResourceWriter().writePrivateKey(key, "faulty-test", null, out);
            return out.toString(StandardCharsets.UTF_8);
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** SSH sessions (connections) created so far, across restarts. */
    public int sessionsOpened() {
        return sessionsOpened.get();
    }

    /**
     * Makes every connection open now refuse new channels from here on, as a wedged server-side session would,
     * while the connection itself stays up; new connections are unaffected.
     */
    public void refuseChannelsOnOpenSessions() {
        refusingChannels.addAll(liveSessions);
    }

    /** SSH sessions open on the server now. */
    public int liveSessionCount() {
        return liveSessions.size();
    }

    /** SFTP stops advertising {@code posix-rename@openssh.com}, as older or minimal servers do (for new channels). */
    public synchronized void hidePosixRename() {
        SftpModuleProperties.OPENSSH_EXTENSIONS.set(server, "fsync@openssh.com=1");
    }

    /** SFTP refuses to rename files whose name contains {@code nameContains}; null allows every rename again. */
    public void refuseRenamesFrom(String nameContains) {
        renameVeto = nameContains;
    }

    /** Bytes that {@code flood} commands have handed to their channel so far. */
    public long bytesSent() {
        return bytesSent.get();
    }

    /** Names of the signals delivered to commands so far ("TERM", "KILL", ...), in order. */
    public List<String> signalsReceived() {
        return List.copyOf(signalsReceived);
    }

    /** Command threads still running (a command the client abandoned keeps its thread until the channel closes). */
    public long runningCommands() {
        return commandThreads.stream().filter(Thread::isAlive).count();
    }

    @Override
    public synchronized void close() throws IOException {
        if (server != null) {
            server.stop(true);
        }
        commandThreads.forEach(Thread::interrupt);
    }

    /**
     * A TCP listener on 127.0.0.1 that accepts connections and never completes an SSH handshake: with
     * {@code banner} it sends a valid identification line and then nothing, else it sends nothing at all.
     */
    public static Tarpit tarpit(boolean banner) throws IOException {
        return new Tarpit(banner);
    }

    /** See {@link #tarpit(boolean)}. */
    public static final class Tarpit implements AutoCloseable {
        private final ServerSocket socket;
        private final List<Socket> accepted = new CopyOnWriteArrayList<>();

        private Tarpit(boolean banner) throws IOException {
            socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            Thread.ofPlatform().daemon().name("tarpit").start(() -> {
                while (!socket.isClosed()) {
                    try {
                        Socket s = socket.accept();
                        accepted.add(s);
                        if (banner) {
                            s.getOutputStream().write("SSH-2.0-Tarpit_1.0\r\n".getBytes(StandardCharsets.US_ASCII));
                            s.getOutputStream().flush();
                        }
                    } catch (IOException e) {
                        return;
                    }
                }
            });
        }

        /** The listening port. */
        public int port() {
            return socket.getLocalPort();
        }

        /** Connections accepted so far. */
        public int accepted() {
            return accepted.size();
        }

        @Override
        public void close() throws IOException {
            socket.close();
            for (Socket s : accepted) {
                s.close();
            }
        }
    }

    // ------------------------------------------------------------------------------------------------------------

    private void listen(int wanted) throws IOException {
        SshServer s = SshServer.setUpDefaultServer();
        s.setHost("127.0.0.1");
        s.setPort(wanted);
        s.setKeyPairProvider(KeyPairProvider.wrap(hostKey));
        s.setPublickeyAuthenticator((user, key, session) -> KeyUtils.compareKeys(key, userKey.getPublic()));
        s.setPasswordAuthenticator(null);
        s.setKeyboardInteractiveAuthenticator(null);
        s.setCommandFactory((channel, command) -> new FaultyCommand(command));
        s.setChannelFactories(List.of(new ChannelFactory() {
            @Override
            public String getName() {
                return ChannelSessionFactory.INSTANCE.getName();
            }

            @Override
            public Channel createChannel(Session session) throws IOException {
                // null makes the server answer SSH_MSG_CHANNEL_OPEN_FAILURE
                return refusingChannels.contains(session)
                        ? null
                        : ChannelSessionFactory.INSTANCE.createChannel(session);
            }
        }));
        if (sftpRoot != null) {
            s.setFileSystemFactory(new VirtualFileSystemFactory(sftpRoot));
            SftpSubsystemFactory sftp = new SftpSubsystemFactory();
            sftp.addSftpEventListener(new SftpEventListener() {
                @Override
                public void moving(ServerSession session, Path source, Path destination, Collection<CopyOption> opts)
                        throws IOException {
                    String veto = renameVeto;
                    if (veto != null && source.getFileName().toString().contains(veto)) {
                        throw new AccessDeniedException(source.toString(), null, "rename refused by the test");
                    }
                }
            });
            s.setSubsystemFactories(List.of(sftp));
        }
        s.addSessionListener(new SessionListener() {
            @Override
            public void sessionCreated(Session session) {
                sessionsOpened.incrementAndGet();
                liveSessions.add(session);
            }

            @Override
            public void sessionClosed(Session session) {
                liveSessions.remove(session);
                refusingChannels.remove(session);
            }
        });
        CoreModuleProperties.NIO_WORKERS.set(s, 2);
        s.start();
        server = s;
        port = s.getPort();
    }

    private static KeyPair ecKeyPair() {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec("secp256r1"));
            return generator.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The user's command inside dispatch's process group wrapper ({@code set -- '<command>'; ...}), or the text
     * itself when it is not wrapped: these commands are Java code, not run by a shell.
     */
    static String unwrapProcessGroup(String command) {
        String prefix = "set -- '";
        if (!command.startsWith(prefix)) {
            return command;
        }
        StringBuilder plain = new StringBuilder();
        for (int i = prefix.length(); i < command.length(); i++) {
            char c = command.charAt(i);
            if (c != '\'') {
                plain.append(c);
            } else if (command.startsWith("'\\''", i)) {
                plain.append('\'');
                i += 3;
            } else {
                return plain.toString();
            }
        }
        return command;
    }

    private final class FaultyCommand implements Command {
        private final String verb;
        private final String argument;
        private OutputStream out;
        private OutputStream err;
        private ExitCallback exit;
        private volatile Thread thread;
        private final CompletableFuture<Signal> signalled = new CompletableFuture<>();

        FaultyCommand(String command) {
            String trimmed = unwrapProcessGroup(command).strip();
            int space = trimmed.indexOf(' ');
            this.verb = space < 0 ? trimmed : trimmed.substring(0, space);
            this.argument = space < 0 ? "" : trimmed.substring(space + 1);
        }

        @Override
        public void setInputStream(InputStream in) {}

        @Override
        public void setOutputStream(OutputStream out) {
            this.out = out;
        }

        @Override
        public void setErrorStream(OutputStream err) {
            this.err = err;
        }

        @Override
        public void setExitCallback(ExitCallback callback) {
            this.exit = callback;
        }

        @Override
        public void start(ChannelSession channel, Environment env) {
            env.addSignalListener((ch, signal) -> {
                signalsReceived.add(signal.name());
                signalled.complete(signal);
            });
            thread = Thread.ofPlatform().daemon().name("faulty-" + verb).start(() -> run(channel));
            commandThreads.add(thread);
        }

        @Override
        public void destroy(ChannelSession channel) {
            Thread t = thread;
            if (t != null) {
                t.interrupt();
            }
        }

        private void run(ChannelSession channel) {
            try {
                switch (verb) {
                    case "echo" -> {
                        print(argument + "\n");
                        exit.onExit(0);
                    }
                    case "exit" -> exit.onExit(Integer.parseInt(argument));
                    case "sleep" -> {
                        Thread.sleep(Long.parseLong(argument));
                        print("slept\n");
                        exit.onExit(0);
                    }
                    case "stall" -> {
                        print(argument);
                        while (true) {
                            Thread.sleep(60_000);
                        }
                    }
                    case "wait" -> {
                        print(argument);
                        Signal signal = signalled.get();
                        exit.onExit(signal == Signal.KILL ? 137 : 143);
                    }
                    case "disconnect" -> {
                        print(argument);
                        Thread.sleep(100);
                        channel.getSession().close(true);
                    }
                    case "flood" -> {
                        long total = Long.parseLong(argument);
                        byte[] chunk = new byte[WRITE_CHUNK];
                        Arrays.fill(chunk, (byte) 'x');
                        for (long sent = 0; sent < total; ) {
                            int n = (int) Math.min(chunk.length, total - sent);
                            out.write(chunk, 0, n);
                            out.flush();
                            sent += n;
                            bytesSent.addAndGet(n);
                        }
                        exit.onExit(0);
                    }
                    default -> {
                        err.write((verb + ": command not found\n").getBytes(StandardCharsets.UTF_8));
                        err.flush();
                        exit.onExit(127);
                    }
                }
            } catch (InterruptedException | InterruptedIOException | ExecutionException e) {
                Thread.currentThread().interrupt();
            } catch (IOException e) {
                // the client went away; nothing to report to
            } catch (RuntimeException e) {
                exit.onExit(1, e.toString());
            }
        }

        private void print(String text) throws IOException {
            out.write(text.getBytes(StandardCharsets.UTF_8));
            out.flush();
        }
    }
}
