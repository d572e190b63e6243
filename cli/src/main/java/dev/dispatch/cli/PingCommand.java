package dev.dispatch.cli;

import dev.dispatch.client.DispatchClient;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.ParentCommand;

/** {@code dispatch ping}: connects and authenticates to every target, runs nothing. */
@Command(
        name = "ping",
        mixinStandardHelpOptions = true,
        description = "Check that hosts can be reached and logged into.")
final class PingCommand implements Callable<Integer> {
    @ParentCommand
    Main root;

    @Mixin
    TargetOptions targets;

    @Mixin
    RunOptions output;

    @Mixin
    ScheduleOptions schedule;

    @Override
    public Integer call() throws Exception {
        DispatchClient client = root.client();
        return ExecCommand.submitAndWatch(
                root, client, schedule.spec("ping", targets.resolve(client), null, null, null, null, null), output);
    }
}
