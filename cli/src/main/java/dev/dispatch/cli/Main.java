package dev.dispatch.cli;

import dev.dispatch.client.DispatchClient;
import dev.dispatch.client.DispatchConnectionException;
import dev.dispatch.client.DispatchProblemException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The {@code dispatch} command: runs jobs through a dispatch server's REST API and prints their output live. Exit
 * codes are those of {@link ExitCodes}.
 */
@Command(
        name = "dispatch",
        mixinStandardHelpOptions = true,
        version = "dispatch 0.1.0",
        description = "Run commands on fleets of hosts through a dispatch server.",
        subcommands = {
            ExecCommand.class,
            PingCommand.class,
            FileCommands.Copy.class,
            FileCommands.Update.class,
            FileCommands.Fetch.class,
            FileCommands.Delete.class,
            JobsCommand.class
        },
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:every host succeeded",
            "1:general error",
            "2:usage or validation error",
            "3:connection failures (unreachable, host key rejected)",
            "4:authentication failed",
            "5:the command failed on every host",
            "10:partial failure"
        })
public final class Main implements Callable<Integer> {
    @Option(
            names = "--context",
            description = "Context of the config file to use (default: its 'current').",
            scope = CommandLine.ScopeType.INHERIT)
    String context;

    final PrintWriter out;
    final PrintWriter err;
    final Map<String, String> env;
    /** Whether this process may install a Ctrl-C handler (true only when run from {@link #main}). */
    final boolean interactive;

    Main(PrintWriter out, PrintWriter err, Map<String, String> env, boolean interactive) {
        this.out = out;
        this.err = err;
        this.env = env;
        this.interactive = interactive;
    }

    /** Runs the command and exits with its code. */
    public static void main(String[] args) {
        PrintWriter out = new PrintWriter(System.out, true, StandardCharsets.UTF_8);
        PrintWriter err = new PrintWriter(System.err, true, StandardCharsets.UTF_8);
        int code = run(args, out, err, System.getenv(), true);
        out.flush();
        err.flush();
        System.exit(code);
    }

    /**
     * Runs the command in this process, writing to {@code out} and {@code err}, reading {@code DISPATCH_URL},
     * {@code DISPATCH_TOKEN}, {@code DISPATCH_CONFIG} and {@code HOME} from {@code env}; answers the exit code.
     * No Ctrl-C handler is installed, so embedding programs and tests keep their own.
     */
    public static int execute(String[] args, PrintWriter out, PrintWriter err, Map<String, String> env) {
        return run(args, out, err, env, false);
    }

    private static int run(String[] args, PrintWriter out, PrintWriter err, Map<String, String> env, boolean ctrlC) {
        Main main = new Main(out, err, env, ctrlC);
        CommandLine cl = new CommandLine(main);
        cl.setOut(out);
        cl.setErr(err);
        cl.setExecutionExceptionHandler((e, line, parsed) -> main.report(e));
        return cl.execute(args);
    }

    @Override
    public Integer call() {
        new CommandLine(this).usage(out);
        return ExitCodes.USAGE;
    }

    /** A client for the effective context. */
    DispatchClient client() throws Exception {
        CliConfig.Context c = CliConfig.load(CliConfig.location(env)).resolve(context, env);
        return DispatchClient.builder().baseUrl(c.url()).token(c.token()).build();
    }

    /** Prints an error the way the command reports it and answers its exit code. */
    int report(Exception e) {
        if (e instanceof DispatchProblemException p) {
            err.println("error: " + p.status() + " " + (p.slug() == null ? "" : p.slug() + ": ")
                    + (p.detail() != null && p.errors().isEmpty() ? p.detail() : p.title()));
            for (DispatchProblemException.FieldViolation v : p.errors()) {
                err.println("  " + v.field() + ": " + v.message());
            }
            err.flush();
            return ExitCodes.forStatus(p.status());
        }
        if (e instanceof IllegalArgumentException || e instanceof CommandLine.ParameterException) {
            err.println("error: " + e.getMessage());
            err.flush();
            return ExitCodes.USAGE;
        }
        if (e instanceof DispatchConnectionException) {
            err.println("error: " + e.getMessage());
            err.flush();
            return ExitCodes.ERROR;
        }
        err.println("error: " + (e.getMessage() == null ? e.toString() : e.getMessage()));
        err.flush();
        return ExitCodes.ERROR;
    }
}
