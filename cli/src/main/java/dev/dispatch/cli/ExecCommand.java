package dev.dispatch.cli;

import dev.dispatch.client.DispatchClient;
import dev.dispatch.client.Job;
import dev.dispatch.client.JobSpec;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code dispatch exec}: runs a command on the targets and prints its output live. */
@Command(
        name = "exec",
        mixinStandardHelpOptions = true,
        description = "Run a command on hosts: dispatch exec -H web[01-03] -- uptime")
final class ExecCommand implements Callable<Integer> {
    @ParentCommand
    Main root;

    @Mixin
    TargetOptions targets;

    @Mixin
    RunOptions output;

    @Mixin
    ScheduleOptions schedule;

    @Option(
            names = "--group",
            description = "After the job, print identical outputs once, headed by their hosts (dshbak -c).")
    boolean group;

    @Option(
            names = "--output-dir",
            paramLabel = "DIR",
            description = "Write each host's output to DIR/<host>.stdout and DIR/<host>.stderr (pssh -o/-e).")
    Path outputDir;

    @Option(names = "--env", paramLabel = "K=V", description = "Environment variable for the command. Repeatable.")
    Map<String, String> env = new LinkedHashMap<>();

    @Option(
            names = "--input",
            paramLabel = "FILE|-",
            description = "Send this file (or stdin: -) to the command's stdin.")
    String input;

    @Option(names = "--credential", paramLabel = "NAME", description = "Credential for ad-hoc targets.")
    String credential;

    @Parameters(paramLabel = "COMMAND", arity = "1..*", description = "The command, after --.")
    List<String> command;

    @Override
    public Integer call() throws Exception {
        DispatchClient client = root.client();
        if ((group ? 1 : 0) + (outputDir != null ? 1 : 0) + (output.json ? 1 : 0) > 1) {
            throw new IllegalArgumentException("--group, --output-dir and --json exclude each other");
        }
        JobSpec spec = schedule.spec(
                "exec", targets.resolve(client), credential, String.join(" ", command), readInput(input), env, null);
        Job job = client.submitJob(spec);
        if (output.detach) {
            JobWatch.printDetached(root.out, job, output.json);
            return ExitCodes.OK;
        }
        JobWatch watch = new JobWatch(client, root.out, root.err, output);
        if (group) {
            watch.grouped();
        }
        if (outputDir != null) {
            watch.outputDir(outputDir);
        }
        return watch.follow(job.id(), root.interactive);
    }

    static int submitAndWatch(Main root, DispatchClient client, JobSpec spec, RunOptions options) {
        Job job = client.submitJob(spec);
        if (options.detach) {
            JobWatch.printDetached(root.out, job, options.json);
            return ExitCodes.OK;
        }
        return new JobWatch(client, root.out, root.err, options).follow(job.id(), root.interactive);
    }

    private static String readInput(String input) throws IOException {
        if (input == null) {
            return null;
        }
        if (input.equals("-")) {
            InputStream in = System.in;
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        return Files.readString(Path.of(input));
    }

    /** {@code 30s}, {@code 5m}, {@code 2h}, {@code 500ms} or an ISO-8601 duration, as ISO-8601. */
    static String isoDuration(String text) {
        if (text == null) {
            return null;
        }
        String t = text.strip().toLowerCase();
        try {
            if (t.startsWith("p")) {
                return Duration.parse(text.strip().toUpperCase()).toString();
            }
            if (t.endsWith("ms")) {
                return Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2)))
                        .toString();
            }
            long n = Long.parseLong(t.substring(0, t.length() - 1));
            return switch (t.charAt(t.length() - 1)) {
                case 's' -> Duration.ofSeconds(n).toString();
                case 'm' -> Duration.ofMinutes(n).toString();
                case 'h' -> Duration.ofHours(n).toString();
                default -> Duration.ofSeconds(Long.parseLong(t)).toString();
            };
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("--timeout: '" + text + "' is not a duration (30s, 5m, 1h, PT5M)");
        }
    }
}
