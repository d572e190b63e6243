package dev.dispatch.embedded;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * This install's keys and bearer tokens, through {@code bin/lib/DevKeys.java} (the one place that defines their
 * format): {@code init} creates the JWT signing key pair and credential key on first start (never reused across
 * installs), {@code token} signs a token with them.
 */
final class DevTokens {
    private final Path devKeys;
    private final Path keys;
    private final String java;

    DevTokens(Path project, Path keys) {
        this.devKeys = project.resolve("bin/lib/DevKeys.java");
        this.keys = keys;
        this.java = ProcessHandle.current().info().command().orElse("java");
    }

    /** Creates the install's keys if missing. */
    void init() throws IOException, InterruptedException {
        run(List.of("init", keys.toString()));
    }

    /** A token for {@code tenant} with {@code role}, also saved (owner-only) as {@code keys/<fileName>}. */
    String token(String tenant, String role, String fileName) throws IOException, InterruptedException {
        String token = run(List.of("token", keys.toString(), tenant, role)).strip();
        Path file = keys.resolve(fileName);
        Files.writeString(file, token + "\n");
        try {
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        } catch (UnsupportedOperationException e) {
            // non-POSIX file system: permissions are left as created
        }
        return token;
    }

    /** The credential encryption key created by {@link #init()}. */
    String credentialKey() throws IOException {
        return Files.readString(keys.resolve("credentials.key")).strip();
    }

    /** The audit HMAC key created by {@link #init()}. */
    String auditKey() throws IOException {
        return Files.readString(keys.resolve("audit-hmac.key")).strip();
    }

    /** The JWT verification key created by {@link #init()}. */
    Path publicKey() {
        return keys.resolve("jwt-public.pem");
    }

    private String run(List<String> args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(java, devKeys.toString()));
        command.addAll(args);
        Process process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
            process.destroyForcibly();
            throw new IllegalStateException("bin/lib/DevKeys.java " + args.get(0) + " failed");
        }
        return out;
    }
}
