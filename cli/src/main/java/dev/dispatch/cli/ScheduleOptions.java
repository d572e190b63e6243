package dev.dispatch.cli;

import dev.dispatch.client.JobSpec;
import java.util.Map;
import picocli.CommandLine.Option;

/** How a job's runs are scheduled: parallelism, batches, failure budget, per-host timeout and retries. */
final class ScheduleOptions {
    @Option(names = "--parallel", paramLabel = "N", description = "Hosts run at once.")
    Integer parallel;

    @Option(
            names = "--batch-size",
            paramLabel = "N",
            description = "Hosts per batch; a batch starts when the last ended.")
    Integer batchSize;

    @Option(names = "--max-failures", paramLabel = "N", description = "Stop starting hosts after N failures.")
    Integer maxFailures;

    @Option(names = "--timeout", paramLabel = "DURATION", description = "Per-host budget: 30s, 5m, 1h or PT5M.")
    String timeout;

    @Option(
            names = "--retries",
            paramLabel = "N",
            description = "Extra attempts for runs that end UNREACHABLE or LOST.")
    Integer retries;

    /** A job request of {@code kind} with these settings; the other fields may be null. */
    JobSpec spec(
            String kind,
            JobSpec.Targets targets,
            String credential,
            String command,
            String input,
            Map<String, String> env,
            JobSpec.FileSpec file) {
        return new JobSpec(
                kind,
                targets,
                credential,
                command,
                input,
                env == null || env.isEmpty() ? null : env,
                ExecCommand.isoDuration(timeout),
                parallel,
                batchSize,
                maxFailures,
                retries,
                file,
                null,
                null);
    }
}
