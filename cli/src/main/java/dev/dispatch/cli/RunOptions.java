package dev.dispatch.cli;

import picocli.CommandLine.Option;

/** How a submitted job is watched and printed. */
final class RunOptions {
    @Option(names = "--json", description = "Print one JSON event per line instead of host-prefixed output.")
    boolean json;

    @Option(
            names = {"-q", "--quiet"},
            description = "Print only the summary.")
    boolean quiet;

    @Option(names = "--detach", description = "Print the job id and return without waiting.")
    boolean detach;
}
