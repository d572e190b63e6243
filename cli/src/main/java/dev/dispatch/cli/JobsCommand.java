package dev.dispatch.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dispatch.client.DispatchClient;
import dev.dispatch.client.Job;
import dev.dispatch.client.JobPage;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code dispatch jobs list|follow|cancel}. */
@Command(
        name = "jobs",
        mixinStandardHelpOptions = true,
        description = "List, follow and cancel jobs.",
        subcommands = {JobsCommand.List.class, JobsCommand.Follow.class, JobsCommand.Cancel.class})
final class JobsCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @ParentCommand
    Main root;

    @Override
    public Integer call() {
        new CommandLine(this).usage(root.out);
        return ExitCodes.USAGE;
    }

    /** {@code dispatch jobs list}: the tenant's jobs, newest first. */
    @Command(name = "list", mixinStandardHelpOptions = true, description = "The tenant's jobs, newest first.")
    static final class List implements Callable<Integer> {
        @ParentCommand
        JobsCommand jobs;

        @Option(names = "--state", description = "Only jobs in this state (QUEUED, RUNNING, SUCCEEDED, ...).")
        String state;

        @Option(names = "--label", paramLabel = "KEY=VALUE", description = "Only jobs with this label.")
        String label;

        @Option(names = "--limit", defaultValue = "20", description = "How many (1-500). Default ${DEFAULT-VALUE}.")
        int limit;

        @Option(names = "--json", description = "One JSON job per line.")
        boolean json;

        @Override
        public Integer call() throws Exception {
            Main root = jobs.root;
            JobPage page = root.client().listJobs(state, label, null, limit);
            if (!json) {
                root.out.printf("%-36s  %-9s  %-6s  %5s  %s%n", "ID", "STATE", "KIND", "HOSTS", "CREATED");
            }
            for (Job j : page.items()) {
                if (json) {
                    root.out.println(JSON.writeValueAsString(j));
                } else {
                    root.out.printf(
                            "%-36s  %-9s  %-6s  %5d  %s%n", j.id(), j.state(), j.kind(), j.hostCount(), j.createdAt());
                }
            }
            root.out.flush();
            return ExitCodes.OK;
        }
    }

    /** {@code dispatch jobs follow ID}: prints the job's output and summary; exits like {@code exec}. */
    @Command(name = "follow", mixinStandardHelpOptions = true, description = "Print a job's output until it ends.")
    static final class Follow implements Callable<Integer> {
        @ParentCommand
        JobsCommand jobs;

        @Parameters(paramLabel = "ID")
        String id;

        @Mixin
        RunOptions output;

        @Override
        public Integer call() throws Exception {
            Main root = jobs.root;
            DispatchClient client = root.client();
            return new JobWatch(client, root.out, root.err, output).follow(id, root.interactive);
        }
    }

    /** {@code dispatch jobs cancel ID}. */
    @Command(name = "cancel", mixinStandardHelpOptions = true, description = "Cancel a job.")
    static final class Cancel implements Callable<Integer> {
        @ParentCommand
        JobsCommand jobs;

        @Parameters(paramLabel = "ID")
        String id;

        @Override
        public Integer call() throws Exception {
            Main root = jobs.root;
            Job job = root.client().cancel(id);
            root.out.println(job.id() + " " + job.state() + " (cancel requested)");
            root.out.flush();
            return ExitCodes.OK;
        }
    }
}
