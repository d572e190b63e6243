package dev.dispatch.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.PublicKey;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.sshd.client.SshClient;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.AttributeRepository;
import org.apache.sshd.common.NamedResource;
import org.apache.sshd.common.config.keys.AuthorizedKeyEntry;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.PublicKeyEntryResolver;
import org.apache.sshd.common.util.security.SecurityUtils;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Checks that {@link OpenSshHosts} starts real, reachable, key-authenticated OpenSSH hosts. */
class OpenSshHostsTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    @TempDir
    static Path workDir;

    private static OpenSshHosts fleet;
    private static SshClient client;
    /** The host key a connection expects; the verifier accepts that key and nothing else. */
    private static final AttributeRepository.AttributeKey<PublicKey> EXPECTED_HOST_KEY =
            new AttributeRepository.AttributeKey<>();

    @BeforeAll
    static void startFleet() throws Exception {
        fleet = OpenSshHosts.start(20, workDir);
        client = SshClient.setUpDefaultClient();
        client.setServerKeyVerifier((session, remoteAddress, serverKey) -> {
            AttributeRepository context = session.getConnectionContext();
            PublicKey expected = context == null ? null : context.getAttribute(EXPECTED_HOST_KEY);
            return expected != null && KeyUtils.compareKeys(expected, serverKey);
        });
        client.start();
    }

    @AfterAll
    static void stopFleet() throws IOException {
        if (client != null) {
            client.stop();
        }
        if (fleet != null) {
            fleet.close();
        }
    }

    @Test
    void hostsHaveSequentialNamesAndLoopbackAddressesOnOnePort() {
        List<OpenSshHosts.Host> hosts = fleet.hosts();
        assertThat(hosts).hasSize(20);
        assertThat(hosts.get(0).name()).isEqualTo("h001");
        assertThat(hosts.get(0).address()).isEqualTo("127.0.1.1");
        assertThat(hosts.get(19).name()).isEqualTo("h020");
        assertThat(hosts.get(19).address()).isEqualTo("127.0.1.20");
        assertThat(hosts)
                .extracting(OpenSshHosts.Host::port)
                .containsOnly(hosts.get(0).port());
        assertThat(hosts.get(0).port()).isBetween(20_000, 45_000);
        assertThat(hosts).allSatisfy(h -> assertThat(h.hostKeyLine()).matches("ssh-ed25519 AAAA[A-Za-z0-9+/=]+"));
        assertThat(fleet.foreignHostKeyLine())
                .matches("ssh-ed25519 AAAA[A-Za-z0-9+/=]+")
                .isNotEqualTo(hosts.get(0).hostKeyLine());
        assertThat(fleet.user()).isEqualTo(System.getProperty("user.name"));
    }

    @Test
    void addressesSkipNetworkAndBroadcastOctets() {
        List<String> addresses = OpenSshHosts.addresses(300);
        assertThat(addresses.get(253)).isEqualTo("127.0.1.254");
        assertThat(addresses.get(254)).isEqualTo("127.0.2.1");
        assertThat(addresses).doesNotHaveDuplicates().noneMatch(a -> a.endsWith(".0") || a.endsWith(".255"));
    }

    @Test
    void everyHostAnswersOnItsOwnAddress() throws Exception {
        List<OpenSshHosts.Host> hosts = fleet.hosts();
        List<Future<String>> outputs = new ArrayList<>();
        // A thread per host: the common pool has a single thread on a two-core CI runner.
        try (ExecutorService pool = Executors.newFixedThreadPool(hosts.size())) {
            for (OpenSshHosts.Host host : hosts) {
                outputs.add(pool.submit(
                        () -> run(host, host.hostKeyLine(), fleet.userPrivateKey(), "echo $SSH_CONNECTION")));
            }
            for (int i = 0; i < hosts.size(); i++) {
                OpenSshHosts.Host host = hosts.get(i);
                // SSH_CONNECTION is "client-address client-port server-address server-port"
                String[] fields =
                        outputs.get(i).get(30, TimeUnit.SECONDS).trim().split(" ");
                assertThat(fields).as("SSH_CONNECTION on %s", host.name()).hasSize(4);
                assertThat(fields[2])
                        .as("server address seen by %s", host.name())
                        .isEqualTo(host.address());
                assertThat(fields[3]).as("server port seen by %s", host.name()).isEqualTo(String.valueOf(host.port()));
            }
        }
    }

    @Test
    void unauthorizedKeyIsRejected() {
        OpenSshHosts.Host host = fleet.hosts().get(3);
        assertThatThrownBy(() -> run(host, host.hostKeyLine(), fleet.unauthorizedPrivateKey(), "true"))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("authentication");
    }

    @Test
    void hostKeyThatBelongsToNoHostIsRejected() {
        OpenSshHosts.Host host = fleet.hosts().get(4);
        assertThatThrownBy(() -> run(host, fleet.foreignHostKeyLine(), fleet.userPrivateKey(), "true"))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("key did not validate");
    }

    @Test
    void closedPortRefusesConnections() {
        int port = OpenSshHosts.closedPort();
        assertThat(port).isPositive();
        assertThatThrownBy(() -> {
                    try (Socket socket = new Socket()) {
                        socket.connect(new InetSocketAddress("127.0.0.1", port), 2_000);
                    }
                })
                .isInstanceOf(ConnectException.class);
    }

    @Test
    void closeStopsEveryDaemonAndCanBeRepeated() throws IOException {
        OpenSshHosts single = OpenSshHosts.start(1, workDir.resolve("single"));
        OpenSshHosts.Host host = single.hosts().get(0);
        single.close();
        single.close();
        assertThatThrownBy(() -> {
                    try (Socket socket = new Socket()) {
                        socket.connect(new InetSocketAddress(host.address(), host.port()), 2_000);
                    }
                })
                .isInstanceOf(ConnectException.class);
    }

    /** Runs a command on the host, trusting only the given host key and offering only the given user key. */
    private static String run(OpenSshHosts.Host host, String expectedHostKeyLine, String privateKey, String command)
            throws Exception {
        PublicKey expected = AuthorizedKeyEntry.parseAuthorizedKeyEntry(expectedHostKeyLine)
                .resolvePublicKey(null, PublicKeyEntryResolver.FAILING);
        AttributeRepository context = AttributeRepository.ofKeyValuePair(EXPECTED_HOST_KEY, expected);
        try (ClientSession session = client.connect(fleet.user(), host.address(), host.port(), context)
                .verify(TIMEOUT)
                .getClientSession()) {
            for (KeyPair identity : loadKeys(privateKey)) {
                session.addPublicKeyIdentity(identity);
            }
            session.auth().verify(TIMEOUT);
            return session.executeRemoteCommand(command);
        }
    }

    private static Iterable<KeyPair> loadKeys(String privateKey) throws Exception {
        return SecurityUtils.loadKeyPairIdentities(
                null,
                NamedResource.ofName("test-key"),
                new ByteArrayInputStream(privateKey.getBytes(StandardCharsets.UTF_8)),
                null);
    }
}
