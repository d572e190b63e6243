package dev.dispatch.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dispatch.client.DispatchClient;
import dev.dispatch.client.HostRun;
import dev.dispatch.client.Job;
import dev.dispatch.client.JobEvent;
import dev.dispatch.client.OutputGroup;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Follows one job: prints its events (host-prefixed lines, JSON lines, or nothing), then the summary, and answers
 * the exit code. With Ctrl-C handling on, an interrupt cancels the job on the server and still prints the summary.
 */
final class JobWatch {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final DispatchClient client;
    private final PrintWriter out;
    private final PrintWriter err;
    private final RunOptions options;
    private final Map<String, StringBuilder> partial = new HashMap<>();
    private final AtomicBoolean done = new AtomicBoolean();
    private boolean grouped;
    private boolean showChanged;
    private Path outputDir;

    JobWatch(DispatchClient client, PrintWriter out, PrintWriter err, RunOptions options) {
        this.client = client;
        this.out = out;
        this.err = err;
        this.options = options;
    }

    /**
     * Prints no output lines while the job runs but stderr lines (host-prefixed, on the error stream); once it ended,
     * each distinct stdout once, headed by its hosts ({@link #groups}).
     */
    JobWatch grouped() {
        this.grouped = true;
        return this;
    }

    /** Writes each host's output to {@code dir/<host>.stdout} and {@code dir/<host>.stderr} instead of printing it. */
    JobWatch outputDir(Path dir) {
        this.outputDir = dir;
        return this;
    }

    /** Lists in the summary which hosts' files were changed and which were not (file jobs). */
    JobWatch showChanged() {
        this.showChanged = true;
        return this;
    }

    /** Follows the job to its end and answers the exit code. */
    int follow(String jobId, boolean ctrlC) {
        Thread hook = null;
        if (ctrlC) {
            hook = new Thread(() -> interrupted(jobId), "dispatch-cancel");
            Runtime.getRuntime().addShutdownHook(hook);
        }
        try {
            if (outputDir != null) {
                Files.createDirectories(outputDir);
            }
            JobEvent.JobFinished finished = client.follow(jobId, this::print);
            flushPartials();
            done.set(true);
            if (outputDir != null) {
                for (HostRun r : client.runs(jobId)) {
                    for (String stream : List.of("stdout", "stderr")) {
                        Path f = outputFile(r.host(), stream);
                        if (!Files.exists(f)) {
                            Files.createFile(f);
                        }
                    }
                }
            }
            if (grouped) {
                printGroups(jobId);
            }
            return summary(jobId, finished.state());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            done.set(true);
            if (hook != null) {
                try {
                    Runtime.getRuntime().removeShutdownHook(hook);
                } catch (IllegalStateException e) {
                    // already shutting down: the hook runs
                }
            }
        }
    }

    private void interrupted(String jobId) {
        if (done.get()) {
            return;
        }
        err.println("dispatch: interrupted, cancelling job " + jobId);
        err.flush();
        try {
            client.cancel(jobId);
            for (int i = 0; i < 50 && !client.job(jobId).ended(); i++) {
                Thread.sleep(100);
            }
            flushPartials();
            summary(jobId, client.job(jobId).state());
        } catch (Exception e) {
            err.println("dispatch: cancel failed: " + e.getMessage());
        }
        err.flush();
    }

    private synchronized void print(JobEvent event) {
        if (options.json) {
            out.println(jsonLine(event));
            out.flush();
            return;
        }
        if (outputDir != null) {
            writeToFiles(event);
            return;
        }
        if (options.quiet) {
            return;
        }
        switch (event) {
            case JobEvent.Output o -> printOutput(o);
            case JobEvent.RunFinished f -> {
                flushPartial(f.run().host(), "stdout");
                flushPartial(f.run().host(), "stderr");
            }
            default -> {}
        }
        out.flush();
    }

    private void writeToFiles(JobEvent event) {
        try {
            switch (event) {
                case JobEvent.RunStarted s -> {
                    // a new attempt replaces what an earlier one wrote, as the stored output does
                    Files.write(outputFile(s.host(), "stdout"), new byte[0]);
                    Files.write(outputFile(s.host(), "stderr"), new byte[0]);
                }
                case JobEvent.Output o ->
                    Files.write(
                            outputFile(o.host(), o.stream()),
                            bytes(o),
                            StandardOpenOption.CREATE,
                            StandardOpenOption.APPEND);
                default -> {}
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private Path outputFile(String host, String stream) {
        if (host.contains("/") || host.equals("..") || host.equals(".")) {
            throw new IllegalArgumentException("host name '" + host + "' cannot name a file");
        }
        return outputDir.resolve(host + "." + ("stderr".equals(stream) ? "stderr" : "stdout"));
    }

    private static byte[] bytes(JobEvent.Output o) {
        return o.text() != null
                ? o.text().getBytes(StandardCharsets.UTF_8)
                : Base64.getDecoder().decode(o.bytes());
    }

    private void printOutput(JobEvent.Output o) {
        if (grouped && !o.stderr()) {
            return;
        }
        String text = new String(bytes(o), StandardCharsets.UTF_8);
        StringBuilder buf = partial.computeIfAbsent(o.host() + "\0" + o.stream(), k -> new StringBuilder());
        buf.append(text);
        int nl;
        while ((nl = buf.indexOf("\n")) >= 0) {
            printLine(o.host(), o.stream(), buf.substring(0, nl));
            buf.delete(0, nl + 1);
        }
    }

    private void flushPartial(String host, String stream) {
        StringBuilder buf = partial.remove(host + "\0" + stream);
        if (buf != null && !buf.isEmpty()) {
            printLine(host, stream, buf.toString());
        }
    }

    private synchronized void flushPartials() {
        if (options.json || options.quiet) {
            return;
        }
        for (String key : List.copyOf(partial.keySet())) {
            String[] hs = key.split("\0", 2);
            flushPartial(hs[0], hs[1]);
        }
        out.flush();
    }

    private void printLine(String host, String stream, String line) {
        if (grouped) {
            err.println("[" + host + "] " + line);
            err.flush();
        } else if (stream.equals("stderr")) {
            out.println("[" + host + "] stderr: " + line);
        } else {
            out.println("[" + host + "] " + line);
        }
    }

    private static String jsonLine(JobEvent event) {
        ObjectNode n = JSON.createObjectNode();
        switch (event) {
            case JobEvent.RunStarted s ->
                n.put("event", "run-started")
                        .put("id", s.id())
                        .put("host", s.host())
                        .put("attempt", s.attempt());
            case JobEvent.Output o -> {
                n.put("event", "output")
                        .put("id", o.id())
                        .put("host", o.host())
                        .put("attempt", o.attempt())
                        .put("stream", o.stream());
                if (o.text() != null) {
                    n.put("text", o.text());
                } else {
                    n.put("bytes", o.bytes());
                }
                if (o.replay()) {
                    n.put("replay", true);
                }
            }
            case JobEvent.RunFinished f -> {
                n.put("event", "run-finished").put("id", f.id());
                n.setAll((ObjectNode) JSON.valueToTree(f.run()));
            }
            case JobEvent.JobFinished j -> {
                n.put("event", "job-finished")
                        .put("id", j.id())
                        .put("jobId", j.jobId())
                        .put("state", j.state());
                n.set("summary", JSON.valueToTree(j.summary()));
            }
        }
        return n.toString();
    }

    /** Prints the summary of the ended job and answers the exit code of its runs. */
    synchronized int summary(String jobId, String state) {
        List<HostRun> runs = client.runs(jobId);
        int code = "CANCELLED".equals(state) && runs.stream().noneMatch(r -> "SUCCEEDED".equals(r.state()))
                ? ExitCodes.ERROR
                : ExitCodes.forRunStates(runs.stream().map(HostRun::state).toList());
        Map<String, Integer> counts = new TreeMap<>();
        runs.forEach(r -> counts.merge(r.state(), 1, Integer::sum));
        if (options.json) {
            ObjectNode n = JSON.createObjectNode()
                    .put("event", "summary")
                    .put("jobId", jobId)
                    .put("state", state)
                    .put("exitCode", code);
            n.set("counts", JSON.valueToTree(counts));
            n.set(
                    "failed",
                    JSON.valueToTree(runs.stream()
                            .filter(r -> !"SUCCEEDED".equals(r.state()))
                            .toList()));
            out.println(n);
            out.flush();
            return code;
        }
        StringBuilder line = new StringBuilder("job ")
                .append(jobId)
                .append(' ')
                .append(state)
                .append(':');
        counts.forEach((s, c) -> line.append(' ').append(c).append(' ').append(s));
        out.println(line);
        for (HostRun r : runs) {
            if (!"SUCCEEDED".equals(r.state())) {
                StringBuilder f =
                        new StringBuilder("  ").append(r.host()).append(": ").append(r.state());
                if (r.exitCode() != null) {
                    f.append(" (exit ").append(r.exitCode()).append(')');
                }
                if (r.exitSignal() != null) {
                    f.append(" (signal ").append(r.exitSignal()).append(')');
                }
                if (r.error() != null && !r.error().isBlank() && !r.error().equals("exit code " + r.exitCode())) {
                    f.append(" ").append(r.error());
                }
                out.println(f);
            }
        }
        if (showChanged) {
            List<String> changed = runs.stream()
                    .filter(r -> Boolean.TRUE.equals(r.changed()))
                    .map(HostRun::host)
                    .toList();
            List<String> unchanged = runs.stream()
                    .filter(r -> "SUCCEEDED".equals(r.state()) && Boolean.FALSE.equals(r.changed()))
                    .map(HostRun::host)
                    .toList();
            if (!changed.isEmpty()) {
                out.println("  changed (" + changed.size() + "): " + HostList.fold(changed));
            }
            if (!unchanged.isEmpty()) {
                out.println("  unchanged (" + unchanged.size() + "): " + HostList.fold(unchanged));
            }
        }
        out.flush();
        return code;
    }

    private synchronized void printGroups(String jobId) {
        for (OutputGroup g : client.runsByOutput(jobId)) {
            String stdout = g.stdout() == null ? "" : g.stdout();
            if (g.stdoutPartial()) {
                ByteArrayOutputStream all = new ByteArrayOutputStream();
                client.runOutput(jobId, g.hosts().getFirst(), "stdout", all);
                stdout = all.toString(StandardCharsets.UTF_8);
            }
            out.print(groupBlock(g.hosts(), g.state(), g.exitCode(), g.exitSignal(), stdout));
        }
        out.flush();
    }

    /**
     * One {@code --group} block as dshbak -c prints it: a rule, the hosts as a folded list (with their state when it
     * is not {@code SUCCEEDED}), a rule, then the output, ending in a newline.
     */
    static String groupBlock(List<String> hosts, String state, Integer exitCode, String exitSignal, String stdout) {
        String rule = "----------------\n";
        StringBuilder b = new StringBuilder(rule).append(HostList.fold(hosts));
        if (hosts.size() > 1) {
            b.append(" (").append(hosts.size()).append(')');
        }
        if (state != null && !"SUCCEEDED".equals(state)) {
            b.append(": ").append(state);
            if (exitCode != null) {
                b.append(" (exit ").append(exitCode).append(')');
            }
            if (exitSignal != null) {
                b.append(" (signal ").append(exitSignal).append(')');
            }
        }
        b.append('\n').append(rule).append(stdout);
        if (!stdout.isEmpty() && !stdout.endsWith("\n")) {
            b.append('\n');
        }
        return b.toString();
    }

    /** Prints a submitted job's id for {@code --detach}. */
    static void printDetached(PrintWriter out, Job job, boolean json) {
        if (json) {
            out.println(JSON.createObjectNode()
                    .put("event", "accepted")
                    .put("jobId", job.id())
                    .put("state", job.state())
                    .put("hostCount", job.hostCount()));
        } else {
            out.println(job.id());
        }
        out.flush();
    }
}
