package dev.dispatch.ssh;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SshKeysTest {
    @TempDir
    Path dir;

    private Path keygen(String name, String... args) throws Exception {
        Path file = dir.resolve(name);
        var command = new java.util.ArrayList<>(List.of("ssh-keygen", "-q", "-C", "test", "-f", file.toString()));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        assertThat(p.waitFor())
                .as(new String(p.getInputStream().readAllBytes()))
                .isZero();
        return file;
    }

    private String fingerprintOf(Path pub) throws Exception {
        Process p = new ProcessBuilder("ssh-keygen", "-l", "-E", "sha256", "-f", pub.toString()).start();
        String out = new String(p.getInputStream().readAllBytes());
        p.waitFor();
        return out.split(" ")[1];
    }

    @Test
    void describesKeysOfEveryCommonTypeWithTheFingerprintOpenSshShows() throws Exception {
        for (String[] spec : List.of(
                new String[] {"ed25519", "ssh-ed25519"},
                new String[] {"ecdsa", "ecdsa-sha2-nistp256"},
                new String[] {"rsa", "ssh-rsa"})) {
            Path key = keygen(spec[0], "-t", spec[0], "-N", "");
            var info = SshKeys.describePrivateKey(Files.readString(key), null);
            assertThat(info.type()).isEqualTo(spec[1]);
            assertThat(info.fingerprint()).isEqualTo(fingerprintOf(Path.of(key + ".pub")));
        }
    }

    @Test
    void decryptsWithThePassphraseAndRejectsAWrongOne() throws Exception {
        Path key = keygen("enc", "-t", "ed25519", "-N", "s3cret");
        String text = Files.readString(key);
        assertThat(SshKeys.describePrivateKey(text, "s3cret").fingerprint())
                .isEqualTo(fingerprintOf(Path.of(key + ".pub")));
        assertThatThrownBy(() -> SshKeys.describePrivateKey(text, "wrong"))
                .isInstanceOf(InvalidKeyMaterialException.class)
                .hasMessageNotContaining("s3cret");
        assertThatThrownBy(() -> SshKeys.describePrivateKey(text, null))
                .isInstanceOf(InvalidKeyMaterialException.class);
    }

    @Test
    void readsBareKeysAndKnownHostsLinesWithMarkers() throws Exception {
        Path key = keygen("host", "-t", "ed25519", "-N", "");
        String pub = Files.readString(Path.of(key + ".pub")).strip();
        String bare = pub.substring(0, pub.lastIndexOf(' '));
        var keys = SshKeys.parseHostKeys(List.of(
                pub,
                "# comment\n\n[web-1]:2222,10.0.0.5 " + bare,
                "@revoked * " + bare,
                "|1|c2FsdA==|aGFzaA== " + bare));
        assertThat(keys).hasSize(4);
        assertThat(keys).allSatisfy(k -> assertThat(k.publicKey()).isEqualTo(bare));
        assertThat(keys.get(2).marker()).isEqualTo("revoked");
        assertThat(keys.get(0).marker()).isNull();
        assertThatThrownBy(() -> SshKeys.parseHostKeys(List.of(bare, "ssh-ed25519 not-base64!")))
                .isInstanceOf(InvalidKeyMaterialException.class)
                .hasMessageContaining("line 2");
    }
}
