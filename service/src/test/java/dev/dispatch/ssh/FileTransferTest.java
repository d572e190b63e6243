package dev.dispatch.ssh;

import static org.assertj.core.api.Assertions.assertThat;

import dev.dispatch.testing.OpenSshHosts;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** SFTP file operations against a real OpenSSH host (the remote files live on this machine). */
class FileTransferTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final long MIB = 1L << 20;

    @TempDir
    static Path work;

    private static OpenSshHosts fleet;
    private static SshSessionPool pool;
    private static FileTransfer files;
    private static SshTarget target;

    @TempDir
    Path dir;

    @BeforeAll
    static void start() throws IOException {
        fleet = OpenSshHosts.start(1, work.resolve("sshd"));
        OpenSshHosts.Host host = fleet.hosts().get(0);
        TestSshConfig config = TestSshConfig.defaults();
        pool = new SshSessionPool(config, new SimpleMeterRegistry());
        files = new FileTransfer(pool, new CommandRunner(pool, config), config);
        target = new SshTarget(
                "t-files",
                host.name(),
                host.address(),
                host.port(),
                fleet.user(),
                fleet.userPrivateKey(),
                null,
                List.of(host.hostKeyLine()),
                List.of());
    }

    @AfterAll
    static void stop() {
        if (files != null) {
            files.stop();
        }
        if (pool != null) {
            pool.stop();
        }
        if (fleet != null) {
            fleet.close();
        }
    }

    @BeforeEach
    void worldReadableDir() throws IOException {
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    private static FileSpec spec(Path path, String content, String mode, boolean backup) {
        return new FileSpec(
                path.toString(), FileContent.of(content.getBytes(StandardCharsets.UTF_8)), null, mode, backup, TIMEOUT);
    }

    private List<Path> siblings() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.sorted().toList();
        }
    }

    private List<Path> backups(Path file) throws IOException {
        String prefix = file.getFileName() + ".";
        return siblings().stream()
                .filter(p -> p.getFileName().toString().startsWith(prefix)
                        && p.getFileName().toString().endsWith(".bak"))
                .toList();
    }

    @Test
    void uploadWritesContentAndMode() throws IOException {
        Path file = dir.resolve("app.conf");

        FileResult result = files.upload(target, spec(file, "listen 80;\n", "0640", false));

        assertThat(result.outcome()).as(result.toString()).isEqualTo(SshOutcome.SUCCEEDED);
        assertThat(result.changed()).isTrue();
        assertThat(result.bytes()).isEqualTo(11);
        assertThat(Files.readString(file)).isEqualTo("listen 80;\n");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
                .isEqualTo("rw-r-----");
        assertThat(siblings()).containsExactly(file);
    }

    @Test
    void uploadWithBackupKeepsTheOldFileUnderATimestampedName() throws IOException {
        Path file = dir.resolve("app.conf");
        Files.writeString(file, "old\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));

        FileResult result = files.upload(target, spec(file, "new\n", null, true));

        assertThat(result.outcome()).as(result.toString()).isEqualTo(SshOutcome.SUCCEEDED);
        assertThat(Files.readString(file)).isEqualTo("new\n");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
                .isEqualTo("rw-------");
        List<Path> backups = backups(file);
        assertThat(backups).hasSize(1);
        assertThat(backups.get(0).getFileName().toString()).matches("app\\.conf\\.\\d{8}T\\d{6}Z\\.bak");
        assertThat(Files.readString(backups.get(0))).isEqualTo("old\n");
        assertThat(siblings()).hasSize(2);
    }

    @Test
    void updateLeavesAnIdenticalFileUntouched() throws IOException {
        Path file = dir.resolve("same.conf");
        Files.writeString(file, "same\n");
        FileTime past = FileTime.from(Instant.parse("2020-01-02T03:04:05Z"));
        Files.setLastModifiedTime(file, past);

        FileResult result = files.update(target, spec(file, "same\n", "0600", true));

        assertThat(result.outcome()).as(result.toString()).isEqualTo(SshOutcome.SUCCEEDED);
        assertThat(result.changed()).isFalse();
        assertThat(result.bytes()).isZero();
        assertThat(Files.getLastModifiedTime(file)).isEqualTo(past);
        assertThat(siblings()).containsExactly(file);
    }

    @Test
    void updateReplacesADifferentFileLeavingExactlyOneBackup() throws IOException {
        Path file = dir.resolve("app.conf");
        Files.writeString(file, "version 1\n");

        FileResult result = files.update(target, spec(file, "version 2\n", "0644", true));

        assertThat(result.outcome()).as(result.toString()).isEqualTo(SshOutcome.SUCCEEDED);
        assertThat(result.changed()).isTrue();
        assertThat(Files.readString(file)).isEqualTo("version 2\n");
        List<Path> backups = backups(file);
        assertThat(backups).hasSize(1);
        assertThat(Files.readString(backups.get(0))).isEqualTo("version 1\n");
        assertThat(siblings()).hasSize(2);
    }

    @Test
    void updateTwiceInOneSecondKeepsBothBackups() throws IOException {
        Path file = dir.resolve("app.conf");
        Files.writeString(file, "a\n");

        assertThat(files.update(target, spec(file, "b\n", null, true)).changed())
                .isTrue();
        assertThat(files.update(target, spec(file, "c\n", null, true)).changed())
                .isTrue();

        assertThat(backups(file)).extracting(Files::readString).containsExactlyInAnyOrder("a\n", "b\n");
        assertThat(Files.readString(file)).isEqualTo("c\n");
    }

    @Test
    void updateCreatesAMissingFile() throws IOException {
        Path file = dir.resolve("new.conf");

        FileResult result = files.update(target, spec(file, "fresh\n", "0644", true));

        assertThat(result.outcome()).as(result.toString()).isEqualTo(SshOutcome.SUCCEEDED);
        assertThat(result.changed()).isTrue();
        assertThat(Files.readString(file)).isEqualTo("fresh\n");
        assertThat(siblings()).containsExactly(file);
    }

    @Test
    void updateQuotesHostilePathsForTheRemoteShell() throws IOException {
        Path file = dir.resolve("it's $(touch pwned) `touch pwned2`;.conf");
        Files.writeString(file, "same\n");
        FileTime past = FileTime.from(Instant.parse("2021-01-01T00:00:00Z"));
        Files.setLastModifiedTime(file, past);

        FileResult result = files.update(target, spec(file, "same\n", null, false));

        assertThat(result.outcome()).as(result.toString()).isEqualTo(SshOutcome.SUCCEEDED);
        assertThat(result.changed()).isFalse();
        assertThat(Files.getLastModifiedTime(file)).isEqualTo(past);
        assertThat(siblings()).containsExactly(file);
    }

    @Test
    void updateRejectsContentThatDoesNotMatchItsDeclaredHash() throws IOException {
        Path file = dir.resolve("app.conf");
        Files.writeString(file, "old\n");
        FileSpec lying = new FileSpec(
                file.toString(),
                FileContent.of("new\n".getBytes(StandardCharsets.UTF_8)),
                "0".repeat(64),
                null,
                false,
                TIMEOUT);

        FileResult result = files.update(target, lying);

        assertThat(result.outcome()).isEqualTo(SshOutcome.FAILED);
        assertThat(result.result().error()).contains("does not match its SHA-256");
        assertThat(result.changed()).isFalse();
        assertThat(Files.readString(file)).isEqualTo("old\n");
        assertThat(siblings()).containsExactly(file);
    }

    @Test
    void fetchReturnsTheContent() throws IOException {
        Path file = dir.resolve("motd");
        Files.writeString(file, "hello from the host\n");
        ByteArrayOutputStream out = new ByteArrayOutputStream();

        FileResult result = files.fetch(target, file.toString(), out, TIMEOUT);

        assertThat(result.outcome()).as(result.toString()).isEqualTo(SshOutcome.SUCCEEDED);
        assertThat(result.changed()).isFalse();
        assertThat(result.bytes()).isEqualTo(20);
        assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo("hello from the host\n");
    }

    @Test
    void fetchRefusesAFileOverTheCap() throws IOException {
        Path file = dir.resolve("big.log");
        Files.write(file, new byte[4096]);
        ByteArrayOutputStream out = new ByteArrayOutputStream();

        FileResult result = files.fetch(target, file.toString(), out, TIMEOUT, 4095);

        assertThat(result.outcome()).isEqualTo(SshOutcome.FAILED);
        assertThat(result.result().error()).contains("4096 bytes, over the fetch limit of 4095 bytes");
        assertThat(result.bytes()).isZero();
        assertThat(out.size()).isZero();
    }

    @Test
    void fetchOfAMissingFileFails() {
        FileResult result =
                files.fetch(target, dir.resolve("nope").toString(), OutputStream.nullOutputStream(), TIMEOUT);

        assertThat(result.outcome()).isEqualTo(SshOutcome.FAILED);
        assertThat(result.result().error()).contains("no such file");
    }

    @Test
    void deleteRemovesTheFile() throws IOException {
        Path file = dir.resolve("old.conf");
        Files.writeString(file, "bye\n");

        FileResult result = files.delete(target, file.toString(), false, TIMEOUT);

        assertThat(result.outcome()).as(result.toString()).isEqualTo(SshOutcome.SUCCEEDED);
        assertThat(result.changed()).isTrue();
        assertThat(siblings()).isEmpty();
    }

    @Test
    void deleteWithBackupRenamesTheFile() throws IOException {
        Path file = dir.resolve("old.conf");
        Files.writeString(file, "keep me\n");

        FileResult result = files.delete(target, file.toString(), true, TIMEOUT);

        assertThat(result.outcome()).as(result.toString()).isEqualTo(SshOutcome.SUCCEEDED);
        assertThat(result.changed()).isTrue();
        assertThat(Files.exists(file)).isFalse();
        assertThat(backups(file))
                .singleElement()
                .satisfies(p -> assertThat(Files.readString(p)).isEqualTo("keep me\n"));
    }

    @Test
    void deleteOfAMissingFileFailsWithoutChange() {
        FileResult result = files.delete(target, dir.resolve("absent.conf").toString(), false, TIMEOUT);

        assertThat(result.outcome()).isEqualTo(SshOutcome.FAILED);
        assertThat(result.changed()).isFalse();
        assertThat(result.result().error()).isEqualTo("no such file: " + dir.resolve("absent.conf"));
    }

    @Test
    void deleteRefusesADirectory() throws IOException {
        Path sub = Files.createDirectory(dir.resolve("sub"));

        FileResult result = files.delete(target, sub.toString(), false, TIMEOUT);

        assertThat(result.outcome()).isEqualTo(SshOutcome.FAILED);
        assertThat(result.result().error()).contains("is a directory");
        assertThat(Files.isDirectory(sub)).isTrue();
    }

    @Test
    void uploadIntoAMissingDirectoryFailsClearly() {
        FileResult result = files.upload(target, spec(dir.resolve("no/such/dir/app.conf"), "x", null, false));

        assertThat(result.outcome()).isEqualTo(SshOutcome.FAILED);
        assertThat(result.result().error()).contains("no such file or directory");
        assertThat(result.changed()).isFalse();
    }

    @Test
    void fiftyMebibytesStreamBothWaysWithoutBeingHeldInMemory() throws Exception {
        Path file = dir.resolve("big.bin");
        long size = 50 * MIB;
        AtomicLong remoteSizeAt40MiB = new AtomicLong(-1);
        MessageDigest sent = MessageDigest.getInstance("SHA-256");
        FileContent content = () -> new GeneratedStream(size, 7, sent, produced -> {
            if (produced >= 40 * MIB && remoteSizeAt40MiB.get() < 0) {
                remoteSizeAt40MiB.set(tempFileSize());
            }
        });
        long before = usedHeapAfterGc();

        long t0 = System.nanoTime();
        FileResult up = files.upload(target, new FileSpec(file.toString(), content, null, "0600", false, TIMEOUT));
        long uploadNanos = System.nanoTime() - t0;

        assertThat(up.outcome()).as(up.toString()).isEqualTo(SshOutcome.SUCCEEDED);
        assertThat(up.bytes()).isEqualTo(size);
        assertThat(Files.size(file)).isEqualTo(size);
        assertThat(remoteSizeAt40MiB.get())
                .as("remote temp file size when 40 MiB had been produced")
                .isGreaterThan(20 * MIB);

        HashingCounter fetched = new HashingCounter();
        t0 = System.nanoTime();
        FileResult down = files.fetch(target, file.toString(), fetched, TIMEOUT, size);
        long fetchNanos = System.nanoTime() - t0;
        long after = usedHeapAfterGc();

        assertThat(down.outcome()).as(down.toString()).isEqualTo(SshOutcome.SUCCEEDED);
        assertThat(down.bytes()).isEqualTo(size);
        assertThat(fetched.count).isEqualTo(size);
        assertThat(fetched.largestWrite).isLessThanOrEqualTo(1 << 20);
        assertThat(HexFormat.of().formatHex(fetched.digest.digest()))
                .isEqualTo(HexFormat.of().formatHex(sent.digest()));
        assertThat(after - before).as("heap retained").isLessThan(16 * MIB);
        System.out.printf(
                "FileTransferTest: 50 MiB upload %.1f MiB/s, fetch %.1f MiB/s, retained heap %+d KiB%n",
                50 / (uploadNanos / 1e9), 50 / (fetchNanos / 1e9), (after - before) / 1024);
    }

    @Test
    void uploadPastItsTimeoutEndsTimedOutAndLeavesNoTemporaryFile() throws Exception {
        Path file = dir.resolve("slow.bin");
        Files.writeString(file, "previous\n");
        assertThat(new CommandRunner(pool, TestSshConfig.defaults())
                        .ping(target)
                        .outcome())
                .isEqualTo(SshOutcome.SUCCEEDED);
        FileContent endless = () -> new GeneratedStream(Long.MAX_VALUE, 3, null, produced -> {});

        long t0 = System.nanoTime();
        FileResult result =
                files.upload(target, new FileSpec(file.toString(), endless, null, null, true, Duration.ofMillis(500)));
        long took = System.nanoTime() - t0;

        assertThat(result.outcome()).as(result.toString()).isEqualTo(SshOutcome.TIMED_OUT);
        assertThat(result.changed()).isFalse();
        assertThat(Duration.ofNanos(took)).isLessThan(Duration.ofSeconds(5));
        assertThat(Files.readString(file)).isEqualTo("previous\n");
        assertThat(siblings()).containsExactly(file);
    }

    @Test
    void interruptedUploadEndsCancelledAndLeavesNoTemporaryFile() throws Exception {
        Path file = dir.resolve("cancelled.bin");
        AtomicReference<Thread> uploader = new AtomicReference<>();
        FileContent endless = () -> new GeneratedStream(Long.MAX_VALUE, 5, null, produced -> {
            if (produced >= 8 * MIB) {
                uploader.get().interrupt();
            }
        });
        AtomicReference<FileResult> result = new AtomicReference<>();
        AtomicReference<Boolean> flag = new AtomicReference<>();
        Thread t = Thread.ofVirtual().unstarted(() -> {
            result.set(files.upload(target, new FileSpec(file.toString(), endless, null, null, false, TIMEOUT)));
            flag.set(Thread.currentThread().isInterrupted());
        });
        uploader.set(t);
        t.start();
        t.join(Duration.ofSeconds(30));

        assertThat(result.get().outcome()).as(String.valueOf(result.get())).isEqualTo(SshOutcome.CANCELLED);
        assertThat(flag.get()).as("interrupt status kept").isTrue();
        assertThat(siblings()).isEmpty();
        assertThat(pool.openSessions()).as("pooled session survived the cancel").isEqualTo(1);
    }

    @Test
    void parsesSha256sumOutput() {
        String hex = "ab".repeat(32);
        assertThat(FileTransfer.parseSha256sum(hex + "  /etc/app.conf\n")).isEqualTo(hex);
        assertThat(FileTransfer.parseSha256sum("\\" + hex + "  /etc/new\\nline\n"))
                .isEqualTo(hex);
        assertThat(FileTransfer.parseSha256sum(hex.toUpperCase() + "  x")).isEqualTo(hex);
        assertThat(FileTransfer.parseSha256sum("sha256sum: x: No such file or directory"))
                .isNull();
        assertThat(FileTransfer.parseSha256sum("")).isNull();
        assertThat(FileTransfer.parseSha256sum(hex + "x  y")).isNull();
    }

    @Test
    void quotesForAPosixShell() {
        assertThat(FileTransfer.shellQuote("/etc/app.conf")).isEqualTo("'/etc/app.conf'");
        assertThat(FileTransfer.shellQuote("it's")).isEqualTo("'it'\\''s'");
    }

    private long tempFileSize() {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().endsWith(".tmp"))
                    .mapToLong(p -> {
                        try {
                            return Files.size(p);
                        } catch (IOException e) {
                            return 0;
                        }
                    })
                    .max()
                    .orElse(0);
        } catch (IOException e) {
            return 0;
        }
    }

    static long usedHeapAfterGc() throws InterruptedException {
        Runtime rt = Runtime.getRuntime();
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(50);
            used = Math.min(used, rt.totalMemory() - rt.freeMemory());
        }
        return used;
    }

    /** Deterministic pseudo-random bytes produced on demand, optionally hashed; never materialised. */
    static final class GeneratedStream extends InputStream {
        interface Progress {
            void at(long produced);
        }

        private final long size;
        private final MessageDigest digest;
        private final Progress progress;
        private long produced;
        private long state;

        GeneratedStream(long size, long seed, MessageDigest digest, Progress progress) {
            this.size = size;
            this.state = seed;
            this.digest = digest;
            this.progress = progress;
        }

        @Override
        public int read() {
            byte[] one = new byte[1];
            return read(one, 0, 1) == -1 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            if (produced >= size) {
                return -1;
            }
            int n = (int) Math.min(len, size - produced);
            for (int i = 0; i < n; i++) {
                state = state * 6364136223846793005L + 1442695040888963407L;
                b[off + i] = (byte) (state >>> 56);
            }
            if (digest != null) {
                digest.update(b, off, n);
            }
            produced += n;
            progress.at(produced);
            return n;
        }
    }

    /** Counts and hashes what it is given, keeping nothing. */
    static final class HashingCounter extends OutputStream {
        final MessageDigest digest;
        long count;
        int largestWrite;

        HashingCounter() throws Exception {
            digest = MessageDigest.getInstance("SHA-256");
        }

        @Override
        public void write(int b) {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) {
            digest.update(b, off, len);
            count += len;
            largestWrite = Math.max(largestWrite, len);
        }
    }
}
