package dev.dispatch.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * How the tests find, or else install, OpenSSH's sshd. The real apt-get install cannot run here (sshd is installed
 * and others use it), so these drive the decision with a recording runner in place of apt-get.
 */
class SshdBinaryTest {
    @TempDir
    Path dir;

    private final List<List<String>> ran = new ArrayList<>();

    @Test
    void anExistingSshdIsUsedAndNothingIsInstalled() throws IOException {
        Path sshd = executable(dir.resolve("sshd"));

        assertThat(SshdBinary.locate(sshd, false, SshdBinary.Installer.ROOT, ran::add))
                .isEqualTo(sshd);
        assertThat(ran).isEmpty();
    }

    @Test
    void asRootAMissingSshdIsInstalledWithAptGetNoninteractively() {
        Path sshd = dir.resolve("sbin/sshd");

        Path found = SshdBinary.locate(sshd, false, SshdBinary.Installer.ROOT, command -> {
            ran.add(command);
            if (command.contains("install")) {
                executable(sshd); // what the package would do
            }
        });

        assertThat(found).isEqualTo(sshd);
        assertThat(ran)
                .containsExactly(
                        List.of("env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "update", "-qq"),
                        List.of(
                                "env",
                                "DEBIAN_FRONTEND=noninteractive",
                                "apt-get",
                                "install",
                                "-y",
                                "-qq",
                                "--no-install-recommends",
                                "openssh-server"));
    }

    @Test
    void withPasswordlessSudoTheSameCommandsRunThroughSudo() {
        Path sshd = dir.resolve("sshd");

        SshdBinary.locate(sshd, false, SshdBinary.Installer.SUDO, command -> {
            ran.add(command);
            executable(sshd);
        });

        assertThat(ran).allSatisfy(command -> assertThat(command.subList(0, 3)).containsExactly("sudo", "-n", "env"));
    }

    @Test
    void withoutRightsToInstallTheFailureSaysWhatToInstall() {
        Path sshd = dir.resolve("sshd");

        assertThatThrownBy(() -> SshdBinary.locate(
                        sshd, false, SshdBinary.Installer.refused("not root and no passwordless sudo"), ran::add))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("OpenSSH sshd not found at " + sshd)
                .hasMessageContaining("apt-get install openssh-server")
                .hasMessageContaining("not root and no passwordless sudo");
        assertThat(ran).isEmpty();
    }

    @Test
    void aFailedInstallReportsTheCommandOutput() {
        Path sshd = dir.resolve("sshd");

        assertThatThrownBy(() -> SshdBinary.locate(sshd, false, SshdBinary.Installer.ROOT, command -> {
                    throw new IOException(String.join(" ", command) + " exited 100: E: Unable to locate package");
                }))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("installing openssh-server failed")
                .hasMessageContaining("Unable to locate package");
    }

    @Test
    void anInstallThatLeavesNoSshdThereFails() {
        Path sshd = dir.resolve("sshd");

        assertThatThrownBy(() -> SshdBinary.locate(sshd, false, SshdBinary.Installer.ROOT, ran::add))
                .hasMessageContaining("installed openssh-server, but there is still no sshd at " + sshd);
        assertThat(ran).hasSize(2);
    }

    @Test
    void thisMachineMayInstallAsRoot() {
        // the tests run as root here (sudo or a refusal elsewhere)
        if ("root".equals(System.getProperty("user.name"))) {
            assertThat(SshdBinary.detectInstaller()).isEqualTo(SshdBinary.Installer.ROOT);
        }
    }

    private static Path executable(Path file) {
        try {
            Files.createDirectories(file.getParent());
            Files.writeString(file, "#!/bin/sh\n");
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
            return file;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
