package dev.dispatch.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The OpenSSH server binary the tests start their hosts with: {@code -Dtest.sshd} if set, else
 * {@code /usr/sbin/sshd}, else {@code sshd} on the PATH. When it is missing, the Debian package
 * {@code openssh-server} is installed with apt-get (noninteractive) if this JVM runs as root or has passwordless
 * sudo; otherwise the tests fail with a message saying what to install. The one place that knows this.
 */
public final class SshdBinary {
    static final String PACKAGE = "openssh-server";
    private static final Path STANDARD = Path.of("/usr/sbin/sshd");
    private static Path found; // guarded by SshdBinary.class

    private SshdBinary() {}

    /** How this process may install packages: as root, through passwordless sudo, or not at all (and why). */
    record Installer(List<String> prefix, String refusal) {
        static final Installer ROOT = new Installer(List.of(), null);
        static final Installer SUDO = new Installer(List.of("sudo", "-n"), null);

        static Installer refused(String reason) {
            return new Installer(List.of(), reason);
        }

        /** The commands that install {@link #PACKAGE}: apt-get update, then apt-get install. */
        List<List<String>> commands() {
            List<String> env = new ArrayList<>(prefix);
            env.addAll(List.of("env", "DEBIAN_FRONTEND=noninteractive", "apt-get"));
            List<String> update = new ArrayList<>(env);
            update.addAll(List.of("update", "-qq"));
            List<String> install = new ArrayList<>(env);
            install.addAll(List.of("install", "-y", "-qq", "--no-install-recommends", PACKAGE));
            return List.of(update, install);
        }
    }

    /** Runs one install command; throws with its output if it fails. */
    interface Runner {
        void run(List<String> command) throws IOException;
    }

    /** The sshd to start (absolute: sshd re-executes itself), installed first if missing and allowed. */
    public static synchronized Path path() {
        if (found == null) {
            String configured = System.getProperty("test.sshd", "");
            found = configured.isBlank()
                    ? locate(STANDARD, true, detectInstaller(), SshdBinary::runCommand)
                    : locate(Path.of(configured).toAbsolutePath(), false, detectInstaller(), SshdBinary::runCommand);
        }
        return found;
    }

    /**
     * The decision: {@code expected} if executable, else (with {@code searchPath}) sshd on the PATH, else install
     * {@link #PACKAGE} through {@code installer} with {@code runner} and look again, else fail saying what to install.
     */
    static Path locate(Path expected, boolean searchPath, Installer installer, Runner runner) {
        Path existing = lookup(expected, searchPath);
        if (existing != null) {
            return existing;
        }
        String advice = "install the Debian package " + PACKAGE + " (apt-get install " + PACKAGE
                + ") or point -Dtest.sshd at an OpenSSH sshd";
        if (installer.refusal() != null) {
            throw new IllegalStateException("OpenSSH sshd not found at " + expected + ": " + advice
                    + " (not installed automatically: " + installer.refusal() + ")");
        }
        System.out.println("SshdBinary: no OpenSSH sshd at " + expected + "; installing " + PACKAGE + " with apt-get");
        try {
            for (List<String> command : installer.commands()) {
                runner.run(command);
            }
        } catch (IOException e) {
            throw new IllegalStateException(
                    "OpenSSH sshd not found at " + expected + " and installing " + PACKAGE + " failed ("
                            + e.getMessage() + "): " + advice,
                    e);
        }
        Path installed = lookup(expected, searchPath);
        if (installed == null) {
            throw new IllegalStateException(
                    "installed " + PACKAGE + ", but there is still no sshd at " + expected + ": " + advice);
        }
        return installed;
    }

    private static Path lookup(Path expected, boolean searchPath) {
        if (Files.isRegularFile(expected) && Files.isExecutable(expected)) {
            return expected;
        }
        String onPath = searchPath ? OpenSshHosts.findExecutable("sshd") : null;
        return onPath == null ? null : Path.of(onPath);
    }

    /** Root, or passwordless sudo, and apt-get present; else the reason it cannot install. */
    static Installer detectInstaller() {
        if (OpenSshHosts.findExecutable("apt-get") == null) {
            return Installer.refused("no apt-get on this machine");
        }
        if ("root".equals(System.getProperty("user.name"))) {
            return Installer.ROOT;
        }
        if (OpenSshHosts.findExecutable("sudo") != null) {
            try {
                Process p = new ProcessBuilder("sudo", "-n", "true")
                        .redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                        .start();
                if (p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0) {
                    return Installer.SUDO;
                }
                p.destroyForcibly();
            } catch (IOException e) {
                // treated as no sudo
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        return Installer.refused("not root and no passwordless sudo");
    }

    private static void runCommand(List<String> command) throws IOException {
        Process p = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                .start();
        try {
            String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (!p.waitFor(600, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException(String.join(" ", command) + " timed out");
            }
            if (p.exitValue() != 0) {
                throw new IOException(String.join(" ", command) + " exited " + p.exitValue() + ": " + output);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
            throw new IOException("interrupted: " + String.join(" ", command), e);
        }
    }
}
