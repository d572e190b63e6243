package dev.dispatch.cli;

import dev.dispatch.client.Artifact;
import dev.dispatch.client.DispatchClient;
import dev.dispatch.client.HostRun;
import dev.dispatch.client.Job;
import dev.dispatch.client.JobSpec;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** The file commands: {@code copy}, {@code update}, {@code fetch} and {@code delete}, one file job each. */
final class FileCommands {
    /** Inline {@code file.content} limit of the contract (1 MiB, decoded); larger files go through an artifact. */
    static final long MAX_INLINE_BYTES = 1024 * 1024;

    private static final Pattern MODE = Pattern.compile("0?[0-7]{3,4}");

    private FileCommands() {}

    /** What copy and update share: the local file, the remote path, mode and backup. */
    abstract static class Upload implements Callable<Integer> {
        @ParentCommand
        Main root;

        @Mixin
        TargetOptions targets;

        @Mixin
        RunOptions output;

        @Mixin
        ScheduleOptions schedule;

        @Option(names = "--mode", paramLabel = "MODE", description = "Octal permission bits of the file, e.g. 0644.")
        String mode;

        @Option(names = "--backup", description = "Keep an existing file as <path>.<UTC timestamp>.bak.")
        boolean backup;

        @Parameters(index = "0", paramLabel = "LOCAL", description = "The local file.")
        Path local;

        @Parameters(index = "1", paramLabel = "REMOTE", description = "Absolute path on the hosts.")
        String remote;

        abstract String kind();

        @Override
        public Integer call() throws Exception {
            if (mode != null && !MODE.matcher(mode).matches()) {
                throw new IllegalArgumentException("--mode: '" + mode + "' is not octal permission bits like 0644");
            }
            if (!Files.isRegularFile(local)) {
                throw new IllegalArgumentException(local + ": no such file");
            }
            DispatchClient client = root.client();
            JobSpec.Targets resolved = targets.resolve(client);
            String content = null;
            String artifact = null;
            long size = Files.size(local);
            if (size <= MAX_INLINE_BYTES) {
                content = Base64.getEncoder().encodeToString(Files.readAllBytes(local));
            } else {
                artifact = upload(
                        client,
                        local,
                        size,
                        root.err,
                        root.interactive && System.console() != null && !output.quiet && !output.json);
            }
            JobSpec.FileSpec file =
                    new JobSpec.FileSpec(remote, content, artifact, normalMode(mode), backup ? Boolean.TRUE : null);
            return watch(root, client, schedule.spec(kind(), resolved, null, null, null, null, file), output, true);
        }
    }

    /** {@code dispatch copy LOCAL REMOTE}. */
    @Command(
            name = "copy",
            mixinStandardHelpOptions = true,
            description = {
                "Copy a local file to the hosts (over SFTP, written to a temporary name, then renamed).",
                "Example: dispatch copy -g web --mode 0644 --backup app.conf /etc/app.conf"
            })
    static final class Copy extends Upload {
        @Override
        String kind() {
            return "copy";
        }
    }

    /** {@code dispatch update LOCAL REMOTE}: like copy, hosts whose file is identical are left alone. */
    @Command(
            name = "update",
            mixinStandardHelpOptions = true,
            description = {
                "Copy a local file to the hosts whose file differs; the summary lists changed and unchanged hosts.",
                "Example: dispatch update -g web app.conf /etc/app.conf"
            })
    static final class Update extends Upload {
        @Override
        String kind() {
            return "update";
        }
    }

    /** {@code dispatch fetch REMOTE --dest DIR}: downloads the file of every host to {@code DIR/<host>/<name>}. */
    @Command(
            name = "fetch",
            mixinStandardHelpOptions = true,
            description = {
                "Download a file from the hosts to DIR/<host>/<name>.",
                "Example: dispatch fetch -g web /var/log/app.log --dest logs"
            })
    static final class Fetch implements Callable<Integer> {
        @ParentCommand
        Main root;

        @Mixin
        TargetOptions targets;

        @Mixin
        RunOptions output;

        @Mixin
        ScheduleOptions schedule;

        @Option(names = "--dest", required = true, paramLabel = "DIR", description = "Where to write the files.")
        Path dest;

        @Parameters(index = "0", paramLabel = "REMOTE", description = "Absolute path on the hosts.")
        String remote;

        @Override
        public Integer call() throws Exception {
            if (output.detach) {
                throw new IllegalArgumentException("--detach: fetch writes the files when the job ends");
            }
            String name = baseName(remote);
            DispatchClient client = root.client();
            JobSpec spec = schedule.spec("fetch", targets.resolve(client), null, null, null, null, fileOnly(remote));
            Job job = client.submitJob(spec);
            int code = new JobWatch(client, root.out, root.err, output).follow(job.id(), root.interactive);
            int written = 0;
            for (HostRun r : client.runs(job.id())) {
                if (!"SUCCEEDED".equals(r.state()) || r.artifact() == null) {
                    continue;
                }
                Path file = dest.resolve(safeSegment(r.host())).resolve(name);
                Files.createDirectories(file.getParent());
                try (OutputStream sink = Files.newOutputStream(file)) {
                    client.runOutput(job.id(), r.host(), null, sink);
                }
                written++;
            }
            if (!output.json && !output.quiet) {
                root.out.println("fetched " + written + " file" + (written == 1 ? "" : "s") + " into " + dest);
                root.out.flush();
            }
            return code;
        }
    }

    /** {@code dispatch delete REMOTE}. */
    @Command(
            name = "delete",
            mixinStandardHelpOptions = true,
            description = {"Remove a file from the hosts.", "Example: dispatch delete -g web --backup /etc/app.conf"})
    static final class Delete implements Callable<Integer> {
        @ParentCommand
        Main root;

        @Mixin
        TargetOptions targets;

        @Mixin
        RunOptions output;

        @Mixin
        ScheduleOptions schedule;

        @Option(names = "--backup", description = "Keep the file as <path>.<UTC timestamp>.bak instead.")
        boolean backup;

        @Parameters(index = "0", paramLabel = "REMOTE", description = "Absolute path on the hosts.")
        String remote;

        @Override
        public Integer call() throws Exception {
            DispatchClient client = root.client();
            JobSpec.FileSpec file = new JobSpec.FileSpec(remote, null, null, null, backup ? Boolean.TRUE : null);
            return watch(
                    root,
                    client,
                    schedule.spec("delete", targets.resolve(client), null, null, null, null, file),
                    output,
                    true);
        }
    }

    private static JobSpec.FileSpec fileOnly(String path) {
        return new JobSpec.FileSpec(path, null, null, null, null);
    }

    private static int watch(Main root, DispatchClient client, JobSpec spec, RunOptions options, boolean changed) {
        Job job = client.submitJob(spec);
        if (options.detach) {
            JobWatch.printDetached(root.out, job, options.json);
            return ExitCodes.OK;
        }
        JobWatch watch = new JobWatch(client, root.out, root.err, options);
        if (changed) {
            watch.showChanged();
        }
        return watch.follow(job.id(), root.interactive);
    }

    /** {@code 0644} or {@code 644} as the contract's four-digit octal form. */
    static String normalMode(String mode) {
        if (mode == null) {
            return null;
        }
        return mode.length() == 3 ? "0" + mode : mode;
    }

    /** The last path segment of {@code remote}, the name a fetched file is written under. */
    static String baseName(String remote) {
        String p = remote;
        while (p.endsWith("/") && p.length() > 1) {
            p = p.substring(0, p.length() - 1);
        }
        String name = p.substring(p.lastIndexOf('/') + 1);
        if (name.isEmpty() || name.equals(".") || name.equals("..")) {
            throw new IllegalArgumentException("'" + remote + "' names no file");
        }
        return name;
    }

    private static String safeSegment(String host) {
        if (host.contains("/") || host.equals(".") || host.equals("..")) {
            throw new IllegalArgumentException("host name '" + host + "' cannot name a directory");
        }
        return host;
    }

    private static String upload(DispatchClient client, Path local, long size, PrintWriter err, boolean progressBar)
            throws IOException {
        ProgressBar bar = progressBar ? new ProgressBar(err, size) : null;
        Artifact a = client.uploadArtifact(local, bar == null ? null : bar::update);
        if (bar != null) {
            bar.finish();
        }
        return a.sha256();
    }

    /** An upload's progress on one line of the terminal, redrawn at most once per percent. */
    static final class ProgressBar {
        private final PrintWriter err;
        private final long total;
        private int shown = -1;

        ProgressBar(PrintWriter err, long total) {
            this.err = err;
            this.total = total;
        }

        synchronized void update(long sent) {
            int percent = total == 0 ? 100 : (int) (sent * 100 / total);
            if (percent != shown) {
                shown = percent;
                err.print("\r" + line(sent, total));
                err.flush();
            }
        }

        synchronized void finish() {
            err.println();
            err.flush();
        }

        /** {@code uploading [#####     ]  50%  5.0/10.0 MiB}. */
        static String line(long sent, long total) {
            int percent = total == 0 ? 100 : (int) (sent * 100 / total);
            int filled = percent / 5;
            return String.format(
                    Locale.ROOT,
                    "uploading [%s%s] %3d%%  %.1f/%.1f MiB",
                    "#".repeat(filled),
                    " ".repeat(20 - filled),
                    percent,
                    sent / 1048576.0,
                    total / 1048576.0);
        }
    }
}
