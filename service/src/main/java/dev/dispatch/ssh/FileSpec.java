package dev.dispatch.ssh;

import java.time.Duration;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A file to write on a host: where, what, with which permissions, whether to keep the old version, and how long
 * the whole operation may take.
 *
 * @param path remote path; absolute, or relative to the login user's home directory
 * @param content the bytes to write (streamed)
 * @param sha256 lower- or upper-case hex SHA-256 of {@code content} when the caller knows it (an artifact's id);
 *     null to have it computed by reading the content once
 * @param mode octal permission bits such as {@code "0644"}; null keeps the replaced file's bits, or the server's
 *     default for a new file
 * @param backup keep an existing file as {@code <path>.<yyyyMMdd'T'HHmmss'Z'>.bak} before replacing it
 * @param timeout budget for the whole operation, hashing included
 */
public record FileSpec(String path, FileContent content, String sha256, String mode, boolean backup, Duration timeout) {
    private static final Pattern MODE = Pattern.compile("0?[0-7]{3}|[0-7]{4}");
    private static final Pattern SHA256 = Pattern.compile("[0-9a-fA-F]{64}");

    /** Validates the fields; the path must name a file (not end with '/'). */
    public FileSpec {
        requireFilePath(path);
        Objects.requireNonNull(content, "content");
        Objects.requireNonNull(timeout, "timeout");
        if (mode != null && !MODE.matcher(mode).matches()) {
            throw new IllegalArgumentException("mode must be octal permission bits such as 0644: " + mode);
        }
        if (sha256 != null && !SHA256.matcher(sha256).matches()) {
            throw new IllegalArgumentException("sha256 must be 64 hex digits");
        }
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be positive: " + timeout);
        }
    }

    /** Permission bits of {@link #mode()}, or -1 when none was given. */
    int permissions() {
        return mode == null ? -1 : Integer.parseInt(mode, 8);
    }

    static void requireFilePath(String path) {
        if (path == null || path.isEmpty() || path.endsWith("/") || path.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("not a file path: " + path);
        }
    }
}
