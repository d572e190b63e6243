package dev.dispatch.ssh;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.sftp.SftpModuleProperties;
import org.apache.sshd.sftp.client.SftpClient;
import org.apache.sshd.sftp.client.SftpClient.Attributes;
import org.apache.sshd.sftp.client.SftpClient.CloseableHandle;
import org.apache.sshd.sftp.client.SftpClient.OpenMode;
import org.apache.sshd.sftp.client.SftpClientFactory;
import org.apache.sshd.sftp.client.extensions.openssh.OpenSSHFsyncExtension;
import org.apache.sshd.sftp.client.extensions.openssh.OpenSSHPosixRenameExtension;
import org.apache.sshd.sftp.common.SftpConstants;
import org.apache.sshd.sftp.common.SftpException;
import org.jboss.logging.Logger;

/**
 * File operations on one host over SFTP, on leased pooled sessions: upload, update (upload only when the SHA-256
 * differs), fetch with a size cap, and delete, each optionally keeping a backup. Content is streamed in both
 * directions, never held whole in memory. Blocking; meant for virtual threads; thread-safe.
 *
 * <p>Writes are atomic for readers of the target: the content goes to a temporary file in the same directory
 * ({@code .<name>.dispatch-<random>.tmp}), created empty with the requested mode before any byte is written,
 * flushed to disk where the server offers {@code fsync@openssh.com}, then renamed over the target with
 * {@code posix-rename@openssh.com} (a plain SFTP rename cannot replace, so without the extension the target is
 * renamed aside first and removed only once the new file is in place; a failure puts it back). A backup is made
 * with {@code hardlink@openssh.com} where offered, so the target never goes
 * missing; otherwise the target is renamed to the backup name. Backup names are
 * {@code <path>.<yyyyMMdd'T'HHmmss'Z'>.bak} in UTC, with {@code -2}, {@code -3}... before {@code .bak} when that
 * name is taken. The new file belongs to the login user; a replaced symbolic link is replaced, not followed.
 *
 * <p>Results never throw for remote problems: connection, authentication and host key failures are classified by
 * the pool as for commands; missing files, permissions and the like are FAILED with an error text; the timeout
 * ends the operation TIMED_OUT and interrupting the calling thread ends it CANCELLED (interrupt status kept),
 * both within moments: the SFTP channel is closed and the remote temporary file removed. The transfer itself,
 * including reading the content stream, runs on a worker thread that is never interrupted.
 */
@ApplicationScoped
public class FileTransfer {
    private static final Logger LOG = Logger.getLogger(FileTransfer.class);
    private static final int IO_BUFFER = 64 * 1024;
    private static final int MAX_HASH_OUTPUT = 4096;
    private static final Duration CLEANUP_BUDGET = Duration.ofSeconds(2);
    /** How long an aborted operation may take to notice, classify and clean up before the caller gives up on it. */
    private static final Duration ABORT_GRACE = Duration.ofSeconds(5);
    /** Marker: the pooled session could not start SFTP; evicted, try once more on a new one. */
    private static final FileResult RETRY = FileResult.failure(SshOutcome.UNREACHABLE, "retry", null, 0);
    /** Marker: the live session refused the channel at its limit; lease again, which waits for a sibling. */
    private static final FileResult RETRY_REFUSED = FileResult.failure(SshOutcome.FAILED, "refused", null, 0);
    /** Channel refusals on live shared sessions one operation waits out before it gives up. */
    private static final int MAX_REFUSALS = 20;

    private static final DateTimeFormatter BACKUP_STAMP =
            DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'", Locale.ROOT).withZone(ZoneOffset.UTC);

    private final SshSessionPool pool;
    private final CommandRunner runner;
    private final SshConfig config;
    private final ScheduledThreadPoolExecutor watchdog;

    public FileTransfer(SshSessionPool pool, CommandRunner runner, SshConfig config) {
        this.pool = pool;
        this.runner = runner;
        this.config = config;
        this.watchdog = new ScheduledThreadPoolExecutor(1, new LogContextFreeThreads("ssh-file-watchdog"));
        this.watchdog.setRemoveOnCancelPolicy(true);
    }

    /**
     * Writes {@code spec.content()} to {@code spec.path()}, replacing any existing file atomically (after a backup
     * if asked). Always {@code changed=true} on success.
     */
    public FileResult upload(SshTarget target, FileSpec spec) {
        long deadline = deadline(spec.timeout());
        return withSftp(
                target,
                deadline,
                spec.timeout(),
                "upload to " + spec.path(),
                op -> replace(op, spec, lstatOrNull(op.sftp, spec.path())));
    }

    /**
     * Like {@link #upload}, but leaves a file that already has the content's SHA-256 untouched (no transfer, no
     * backup, mode not changed) and reports {@code changed=false}. The remote hash comes from {@code sha256sum}
     * over an exec channel where that works, else from reading the file over SFTP. A missing file is created.
     */
    public FileResult update(SshTarget target, FileSpec spec) {
        long deadline = deadline(spec.timeout());
        String wanted;
        try {
            wanted = spec.sha256() != null ? spec.sha256().toLowerCase(Locale.ROOT) : sha256(spec.content());
        } catch (InterruptedIOException e) {
            Thread.currentThread().interrupt();
            return FileResult.failure(SshOutcome.CANCELLED, "cancelled while hashing the content", false, 0);
        } catch (IOException e) {
            return FileResult.failure(
                    SshOutcome.FAILED, "cannot read the content to upload: " + e.getMessage(), false, 0);
        }
        RemoteHash remote = remoteSha256(target, spec.path(), deadline, spec.timeout());
        if (remote.failure() != null) {
            return new FileResult(remote.failure(), null, 0);
        }
        return withSftp(target, deadline, spec.timeout(), "update of " + spec.path(), op -> {
            Attributes existing = lstatOrNull(op.sftp, spec.path());
            if (existing != null && existing.isDirectory()) {
                throw new RemoteFileException(spec.path() + " is a directory");
            }
            String current = remote.hex();
            if (current == null && existing != null) {
                current = sha256(op, spec.path());
            }
            if (existing != null && wanted.equals(current)) {
                return FileResult.succeeded(false, 0);
            }
            return replace(op, spec, existing);
        });
    }

    /** Downloads {@code path} into {@code out}, capped at {@link SshConfig#maxFetchBytes()}. */
    public FileResult fetch(SshTarget target, String path, OutputStream out, Duration timeout) {
        return fetch(target, path, out, timeout, config.maxFetchBytes());
    }

    /**
     * Downloads {@code path} (following symbolic links) into {@code out}, streaming; {@code changed=false}. A file
     * larger than {@code maxBytes} fails FAILED before any byte is sent, or as soon as it grows past the cap while
     * being read; on any failure {@code out} may hold a partial copy that the caller must discard.
     */
    public FileResult fetch(SshTarget target, String path, OutputStream out, Duration timeout, long maxBytes) {
        FileSpec.requireFilePath(path);
        long deadline = deadline(timeout);
        return withSftp(target, deadline, timeout, "fetch of " + path, op -> {
            Attributes attributes = statOrNull(op.sftp, path);
            if (attributes == null) {
                throw new RemoteFileException("no such file: " + path);
            }
            if (attributes.isDirectory()) {
                throw new RemoteFileException(path + " is a directory");
            }
            if (attributes.isRegularFile() && attributes.getSize() > maxBytes) {
                throw new RemoteFileException(path + " is " + attributes.getSize() + " bytes, over the fetch limit of "
                        + maxBytes + " bytes");
            }
            byte[] buf = new byte[IO_BUFFER];
            try (InputStream in = op.sftp.read(path, IO_BUFFER)) {
                int n;
                while ((n = in.read(buf)) != -1) {
                    op.checkAborted();
                    if (op.bytes + n > maxBytes) {
                        throw new RemoteFileException(
                                path + " grew past the fetch limit of " + maxBytes + " bytes while it was read");
                    }
                    try {
                        out.write(buf, 0, n);
                    } catch (IOException e) {
                        throw new LocalContentException("cannot store the fetched file: " + e.getMessage(), e);
                    }
                    op.bytes += n;
                }
            }
            return FileResult.succeeded(false, op.bytes);
        });
    }

    /**
     * Removes the file at {@code path} (a symbolic link itself, not its target), or with {@code backup} renames it
     * to its backup name instead. A missing file is FAILED with {@code changed=false} ("no such file"): asking to
     * delete what is not there is reported, not hidden. Directories are refused.
     */
    public FileResult delete(SshTarget target, String path, boolean backup, Duration timeout) {
        FileSpec.requireFilePath(path);
        long deadline = deadline(timeout);
        return withSftp(target, deadline, timeout, "delete of " + path, op -> {
            Attributes existing = lstatOrNull(op.sftp, path);
            if (existing == null) {
                throw new RemoteFileException("no such file: " + path);
            }
            if (existing.isDirectory()) {
                throw new RemoteFileException(path + " is a directory; only files are deleted");
            }
            if (backup) {
                op.sftp.rename(path, backupName(op.sftp, path));
            } else {
                op.sftp.remove(path);
            }
            op.changed = true;
            return FileResult.succeeded(true, 0);
        });
    }

    // ------------------------------------------------------------------------------------------------------------

    private FileResult replace(Operation op, FileSpec spec, Attributes existing) throws IOException {
        SftpClient sftp = op.sftp;
        String path = spec.path();
        if (existing != null && existing.isDirectory()) {
            throw new RemoteFileException(path + " is a directory");
        }
        int perms = spec.permissions();
        if (perms < 0 && existing != null) {
            Attributes followed = existing.isSymbolicLink() ? statOrNull(sftp, path) : existing;
            if (followed != null && followed.isRegularFile()) {
                perms = followed.getPermissions() & 07777;
            }
        }
        String temp = tempName(path);
        try (CloseableHandle handle = sftp.open(temp, OpenMode.Write, OpenMode.Create, OpenMode.Exclusive)) {
            op.tempPath = temp;
            if (perms >= 0) {
                // Before any content is written, so a 0600 secret is never readable by others, not even briefly.
                sftp.setStat(handle, new Attributes().perms(perms));
            }
        }
        MessageDigest digest = spec.sha256() == null ? null : newSha256();
        byte[] buf = new byte[IO_BUFFER];
        try (InputStream in = openContent(spec.content());
                OutputStream out = sftp.write(temp, IO_BUFFER, OpenMode.Write)) {
            int n;
            while ((n = readContent(in, buf)) != -1) {
                op.checkAborted();
                out.write(buf, 0, n);
                if (digest != null) {
                    digest.update(buf, 0, n);
                }
                op.bytes += n;
            }
        }
        if (digest != null && !HexFormat.of().formatHex(digest.digest()).equalsIgnoreCase(spec.sha256())) {
            throw new LocalContentException("the content does not match its SHA-256 " + spec.sha256(), null);
        }
        OpenSSHFsyncExtension fsync = sftp.getExtension(OpenSSHFsyncExtension.class);
        if (fsync != null && fsync.isSupported()) {
            try (CloseableHandle handle = sftp.open(temp, OpenMode.Read)) {
                fsync.fsync(handle);
            }
        }
        if (spec.backup() && existing != null) {
            backup(op, path);
        }
        OpenSSHPosixRenameExtension posixRename = sftp.getExtension(OpenSSHPosixRenameExtension.class);
        boolean renamed = false;
        if (posixRename != null && posixRename.isSupported()) {
            try {
                posixRename.posixRename(temp, path);
                renamed = true;
            } catch (SftpException e) {
                if (e.getStatus() != SftpConstants.SSH_FX_OP_UNSUPPORTED) {
                    throw e;
                }
            }
        }
        if (!renamed) {
            renameIntoPlace(op, temp, path);
        }
        op.tempPath = null;
        op.changed = true;
        return FileResult.succeeded(true, op.bytes);
    }

    /**
     * Without {@code posix-rename@openssh.com} a plain SFTP rename cannot replace a file, so the target is first
     * renamed aside ({@code .<name>.dispatch-<random>.old}), then the new file into place, then the aside copy is
     * removed. Neither file is ever removed before the new one is in place: a failure puts the old file back, and
     * an abort in between leaves both for the cleanup to sort out. Readers may see the path missing briefly.
     */
    private void renameIntoPlace(Operation op, String temp, String path) throws IOException {
        SftpClient sftp = op.sftp;
        if (lstatOrNull(sftp, path) == null) {
            sftp.rename(temp, path);
            return;
        }
        String aside = sideName(path, "old");
        op.asideOf = path;
        sftp.rename(path, aside);
        op.asidePath = aside;
        try {
            sftp.rename(temp, path);
        } catch (IOException e) {
            sftp.rename(aside, path);
            op.asidePath = null;
            throw e;
        }
        op.tempPath = null;
        op.changed = true;
        try {
            sftp.remove(aside);
            op.asidePath = null;
        } catch (SftpException e) {
            LOG.warnf("replaced file's old copy %s left behind: %s", aside, describe(e));
            op.asidePath = null;
        }
    }

    private void backup(Operation op, String path) throws IOException {
        String name = backupName(op.sftp, path);
        HardLinkExtension hardLink = HardLinkExtension.of(op.sftp);
        if (hardLink != null) {
            try {
                hardLink.link(path, name);
                return;
            } catch (SftpException e) {
                LOG.debugf("hard link %s -> %s refused (%s); renaming instead", path, name, e.getMessage());
            }
        }
        op.sftp.rename(path, name);
        op.changed = true;
    }

    private String backupName(SftpClient sftp, String path) throws IOException {
        String stem = path + "." + BACKUP_STAMP.format(Instant.now());
        String name = stem + ".bak";
        for (int n = 2; lstatOrNull(sftp, name) != null; n++) {
            name = stem + "-" + n + ".bak";
        }
        return name;
    }

    private static String tempName(String path) {
        return sideName(path, "tmp");
    }

    /** {@code <dir>/.<name>.dispatch-<random>.<suffix>}: hidden, in the same directory, so renames stay atomic. */
    private static String sideName(String path, String suffix) {
        int slash = path.lastIndexOf('/');
        String dir = path.substring(0, slash + 1);
        String base = path.substring(slash + 1);
        return dir + "." + base + ".dispatch-"
                + Long.toHexString(ThreadLocalRandom.current().nextLong()) + "." + suffix;
    }

    /** Remote SHA-256 via {@code sha256sum}; {@code hex == null} when it could not say (use SFTP instead). */
    private RemoteHash remoteSha256(SshTarget target, String path, long deadline, Duration timeout) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
            return new RemoteHash(null, ExecResult.failure(SshOutcome.TIMED_OUT, "no time left after " + timeout));
        }
        Capture capture = new Capture(MAX_HASH_OUTPUT);
        ExecResult result = runner.exec(
                target,
                new ExecSpec("sha256sum -- " + shellQuote(path), new byte[0], Map.of(), Duration.ofNanos(left)),
                capture);
        return switch (result.outcome()) {
            case SUCCEEDED -> new RemoteHash(parseSha256sum(capture.text()), null);
            // sha256sum missing, file missing or unreadable: the SFTP path finds out which.
            case FAILED -> new RemoteHash(null, null);
            case TIMED_OUT ->
                new RemoteHash(
                        null,
                        ExecResult.failure(
                                SshOutcome.TIMED_OUT,
                                "update of " + path + " did not finish within " + timeout
                                        + " (hashing the remote file)"));
            default -> new RemoteHash(null, result);
        };
    }

    /** The hash from {@code sha256sum} output ({@code "<hex>  <name>"}, or {@code "\<hex>  <escaped name>"}). */
    static String parseSha256sum(String output) {
        String line = output.strip();
        if (line.startsWith("\\")) {
            line = line.substring(1);
        }
        if (line.length() < 64) {
            return null;
        }
        String hex = line.substring(0, 64).toLowerCase(Locale.ROOT);
        boolean valid = hex.chars().allMatch(c -> (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
        boolean separated = line.length() == 64 || line.charAt(64) == ' ';
        return valid && separated ? hex : null;
    }

    /** {@code 'text'} for a POSIX shell, with each {@code '} written as {@code '\''}. */
    static String shellQuote(String text) {
        return "'" + text.replace("'", "'\\''") + "'";
    }

    private static String sha256(FileContent content) throws IOException {
        MessageDigest digest = newSha256();
        byte[] buf = new byte[IO_BUFFER];
        try (InputStream in = content.open()) {
            int n;
            while ((n = in.read(buf)) != -1) {
                checkInterrupt();
                digest.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    private static String sha256(Operation op, String path) throws IOException {
        MessageDigest digest = newSha256();
        byte[] buf = new byte[IO_BUFFER];
        try (InputStream in = op.sftp.read(path, IO_BUFFER)) {
            int n;
            while ((n = in.read(buf)) != -1) {
                op.checkAborted();
                digest.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    private static MessageDigest newSha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static InputStream openContent(FileContent content) throws IOException {
        try {
            return content.open();
        } catch (InterruptedIOException e) {
            throw e;
        } catch (IOException e) {
            throw new LocalContentException("cannot read the content to upload: " + e.getMessage(), e);
        }
    }

    private static int readContent(InputStream in, byte[] buf) throws IOException {
        try {
            return in.read(buf);
        } catch (InterruptedIOException e) {
            throw e;
        } catch (IOException e) {
            throw new LocalContentException("cannot read the content to upload: " + e.getMessage(), e);
        }
    }

    /** Hashing local content runs on the caller's thread: a cancel there is seen between reads. */
    private static void checkInterrupt() throws InterruptedIOException {
        if (Thread.currentThread().isInterrupted()) {
            throw new InterruptedIOException("interrupted");
        }
    }

    private static Attributes statOrNull(SftpClient sftp, String path) throws IOException {
        try {
            return sftp.stat(path);
        } catch (SftpException e) {
            if (e.getStatus() == SftpConstants.SSH_FX_NO_SUCH_FILE) {
                return null;
            }
            throw e;
        }
    }

    private static Attributes lstatOrNull(SftpClient sftp, String path) throws IOException {
        try {
            return sftp.lstat(path);
        } catch (SftpException e) {
            if (e.getStatus() == SftpConstants.SSH_FX_NO_SUCH_FILE) {
                return null;
            }
            throw e;
        }
    }

    // ------------------------------------------------------------------------------------------------------------

    /**
     * One SFTP operation in progress: its channel, what it created and changed so far (for cleanup and the result),
     * and whether the caller gave up on it. Written by the worker thread; the flags by the caller.
     */
    private static final class Operation {
        volatile SftpClient sftp;
        volatile boolean timedOut;
        volatile boolean cancelled;
        volatile String tempPath;
        /** The target's old file while it is renamed aside for a replace without posix-rename. */
        volatile String asidePath;
        /** The path {@link #asidePath} belongs back at. */
        volatile String asideOf;

        volatile boolean changed;
        volatile long bytes;

        boolean aborted() {
            return timedOut || cancelled;
        }

        void checkAborted() throws IOException {
            if (aborted()) {
                throw new IOException("aborted");
            }
        }

        /** Closes the channel at once, so that whatever the worker waits for fails. */
        void abort() {
            SftpClient client = sftp;
            if (client != null) {
                FileTransfer.abort(client);
            }
        }
    }

    @FunctionalInterface
    private interface Work {
        FileResult run(Operation op) throws IOException;
    }

    /**
     * Runs {@code work} on a leased session. The SFTP traffic happens on a worker thread that is never interrupted:
     * an interrupt landing inside MINA's SFTP calls was seen to close the whole pooled session, every other run's
     * channel on it included.
     * The caller waits; at the deadline or on interrupt it aborts the channel, and the worker then classifies the
     * failure and removes its temporary file.
     */
    private FileResult withSftp(SshTarget target, long deadline, Duration timeout, String what, Work work) {
        int refusals = 0;
        for (int attempt = 1; ; attempt++) {
            if (deadline - System.nanoTime() <= 0) {
                return FileResult.failure(SshOutcome.TIMED_OUT, what + " did not finish within " + timeout, false, 0);
            }
            SshSessionPool.Lease lease;
            try {
                lease = pool.lease(target);
            } catch (SshFailureException e) {
                return new FileResult(e.toResult(), null, 0);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return FileResult.failure(SshOutcome.CANCELLED, "cancelled before the " + what + " started", false, 0);
            }
            try (lease) {
                Operation op = new Operation();
                boolean retry = attempt == 1;
                CompletableFuture<FileResult> done = new CompletableFuture<>();
                Thread.ofVirtual().name("ssh-sftp").start(() -> {
                    try {
                        done.complete(runOnWorker(lease, op, work, what, timeout, retry));
                    } catch (Throwable t) {
                        done.completeExceptionally(t);
                    }
                });
                FileResult result = awaitOrAbort(done, op, deadline, what, timeout);
                if (result == RETRY_REFUSED) {
                    if (++refusals > MAX_REFUSALS) {
                        return FileResult.failure(
                                SshOutcome.FAILED,
                                "cannot start SFTP: the host refused a channel " + refusals
                                        + " times while other commands ran on it",
                                false,
                                0);
                    }
                    attempt--;
                    continue;
                }
                if (result == RETRY) {
                    LOG.debugf("SFTP on pooled session to %s failed; reconnecting", target);
                    continue;
                }
                return result;
            }
        }
    }

    private FileResult runOnWorker(
            SshSessionPool.Lease lease, Operation op, Work work, String what, Duration timeout, boolean mayRetry) {
        SftpClient sftp;
        try {
            sftp = openSftp(lease.session());
        } catch (IOException | RuntimeException e) {
            if (op.aborted()) {
                return aborted(op, what, timeout);
            }
            boolean sessionAlive = lease.session().isOpen() && !lease.session().isClosing();
            boolean refused = CommandRunner.refused(e);
            // Closing a live session would kill every sibling command on it: only a dead session, or one that
            // refuses channels with nothing else open on it, is replaced.
            if (sessionAlive && refused && lease.channelRefused()) {
                return RETRY_REFUSED;
            }
            if (sessionAlive && !refused) {
                return FileResult.failure(
                        SshOutcome.FAILED,
                        "cannot start SFTP (does the host serve the sftp" + " subsystem?): " + e.getMessage(),
                        false,
                        0);
            }
            lease.evict();
            if (mayRetry) {
                return RETRY;
            }
            return FileResult.failure(
                    sessionAlive ? SshOutcome.FAILED : SshOutcome.UNREACHABLE,
                    "cannot start SFTP: " + e.getMessage(),
                    false,
                    0);
        }
        op.sftp = sftp;
        try {
            if (op.aborted()) {
                return aborted(op, what, timeout);
            }
            return work.run(op);
        } catch (IOException | RuntimeException e) {
            FileResult failure = classify(e, op, what, timeout, lease);
            cleanUp(lease.session(), op);
            return failure;
        } finally {
            close(sftp);
        }
    }

    private static FileResult awaitOrAbort(
            CompletableFuture<FileResult> done, Operation op, long deadline, String what, Duration timeout) {
        boolean interrupted = false;
        try {
            try {
                return done.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                op.timedOut = true;
            } catch (InterruptedException e) {
                op.cancelled = true;
                interrupted = true;
            }
            op.abort();
            long graceEnd = System.nanoTime() + ABORT_GRACE.toNanos();
            while (true) {
                try {
                    return done.get(Math.max(1, graceEnd - System.nanoTime()), TimeUnit.NANOSECONDS);
                } catch (TimeoutException e) {
                    LOG.warnf("%s still busy %s after it was aborted", what, ABORT_GRACE);
                    return aborted(op, what, timeout);
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        } catch (ExecutionException e) {
            LOG.errorf(e.getCause(), "%s failed inside dispatch", what);
            return FileResult.failure(SshOutcome.FAILED, what + " failed: internal error", op.changed, op.bytes);
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static FileResult aborted(Operation op, String what, Duration timeout) {
        return op.cancelled
                ? FileResult.failure(SshOutcome.CANCELLED, what + " cancelled", op.changed, op.bytes)
                : FileResult.failure(
                        SshOutcome.TIMED_OUT, what + " did not finish within " + timeout, op.changed, op.bytes);
    }

    private FileResult classify(Exception e, Operation op, String what, Duration timeout, SshSessionPool.Lease lease) {
        if (op.aborted()) {
            return aborted(op, what, timeout);
        }
        if (e instanceof RemoteFileException || e instanceof LocalContentException) {
            return FileResult.failure(SshOutcome.FAILED, e.getMessage(), op.changed, op.bytes);
        }
        if (e instanceof SftpException sftp) {
            return FileResult.failure(SshOutcome.FAILED, what + " failed: " + describe(sftp), op.changed, op.bytes);
        }
        ClientSession session = lease.session();
        if (!session.isOpen() || session.isClosing()) {
            lease.evict();
            return FileResult.failure(SshOutcome.FAILED, "connection lost during the " + what, op.changed, op.bytes);
        }
        LOG.debugf(e, "%s failed", what);
        return FileResult.failure(SshOutcome.FAILED, what + " failed: " + e.getMessage(), op.changed, op.bytes);
    }

    private static String describe(SftpException e) {
        return switch (e.getStatus()) {
            case SftpConstants.SSH_FX_NO_SUCH_FILE -> "no such file or directory";
            case SftpConstants.SSH_FX_PERMISSION_DENIED -> "permission denied";
            case SftpConstants.SSH_FX_FAILURE -> "the server reported a failure (" + e.getMessage() + ")";
            default -> e.getMessage();
        };
    }

    /**
     * Best effort within a short budget, on a fresh channel when the operation's was aborted: puts a target that was
     * renamed aside back where no new file took its place (else removes the old copy), then removes the temporary
     * file.
     */
    private void cleanUp(ClientSession session, Operation op) {
        String temp = op.tempPath;
        String aside = op.asidePath;
        if (temp == null && aside == null) {
            return;
        }
        if (!session.isOpen() || session.isClosing()) {
            LOG.warnf("%s left behind: connection gone", leftBehind(temp, aside, op.asideOf));
            return;
        }
        SftpClient sftp = null;
        ScheduledFuture<?> timer = null;
        try {
            sftp = op.sftp.isOpen() && !op.sftp.isClosing() ? op.sftp : openSftp(session);
            SftpClient cleaner = sftp;
            timer = watchdog.schedule(() -> abort(cleaner), CLEANUP_BUDGET.toMillis(), TimeUnit.MILLISECONDS);
            if (aside != null) {
                if (lstatOrNull(sftp, op.asideOf) == null) {
                    sftp.rename(aside, op.asideOf);
                } else {
                    sftp.remove(aside);
                }
                op.asidePath = null;
            }
            if (temp != null && lstatOrNull(sftp, temp) != null) {
                sftp.remove(temp);
            }
            op.tempPath = null;
        } catch (IOException | RuntimeException e) {
            LOG.warnf("%s left behind: %s", leftBehind(op.tempPath, op.asidePath, op.asideOf), e.getMessage());
        } finally {
            if (timer != null) {
                timer.cancel(false);
            }
            if (sftp != null && sftp != op.sftp) {
                close(sftp);
            }
        }
    }

    private static String leftBehind(String temp, String aside, String asideOf) {
        String a = aside == null ? null : "old copy of " + asideOf + " at " + aside;
        String t = temp == null ? null : "temporary file " + temp;
        return a == null ? t : t == null ? a : a + " and " + t;
    }

    private SftpClient openSftp(ClientSession session) throws IOException {
        SftpModuleProperties.SFTP_CHANNEL_OPEN_TIMEOUT.set(session, config.connectTimeout());
        return SftpClientFactory.instance().createSftpClient(session);
    }

    private static void abort(SftpClient sftp) {
        try {
            sftp.getClientChannel().close(true);
        } catch (RuntimeException e) {
            LOG.debugf("closing SFTP channel: %s", e.getMessage());
        }
    }

    private static void close(SftpClient sftp) {
        try {
            sftp.close();
        } catch (IOException | RuntimeException e) {
            LOG.debugf("closing SFTP client: %s", e.getMessage());
        }
    }

    private static long deadline(Duration timeout) {
        return System.nanoTime() + timeout.toNanos();
    }

    @PreDestroy
    void stop() {
        watchdog.shutdownNow();
    }

    private record RemoteHash(String hex, ExecResult failure) {}

    /** A problem with the remote file itself (missing, a directory, too large): FAILED with this message. */
    private static final class RemoteFileException extends IOException {
        RemoteFileException(String message) {
            super(message);
        }
    }

    /** The local side failed (content unreadable or wrong, output not writable): FAILED with this message. */
    private static final class LocalContentException extends IOException {
        LocalContentException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** Keeps the first bytes of stdout, for short command answers. */
    private static final class Capture implements OutputSink {
        private final byte[] buf;
        private int length;

        Capture(int limit) {
            this.buf = new byte[limit];
        }

        @Override
        public synchronized void chunk(Stream stream, byte[] data) {
            if (stream == Stream.STDOUT) {
                int n = Math.min(data.length, buf.length - length);
                System.arraycopy(data, 0, buf, length, n);
                length += n;
            }
        }

        @Override
        public void end(Stream stream) {}

        synchronized String text() {
            return new String(buf, 0, length, StandardCharsets.UTF_8);
        }
    }
}
