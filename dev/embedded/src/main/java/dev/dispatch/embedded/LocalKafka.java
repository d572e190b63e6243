package dev.dispatch.embedded;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The project's single-node KRaft broker, through {@code bin/kafka-local} (same {@code DISPATCH_HOME} and
 * {@code DISPATCH_KAFKA_PORT}). A broker this launcher started is stopped with it; one that was already running
 * (started by hand or by a test run) is left running.
 */
final class LocalKafka {
    private final Path script;
    private volatile boolean startedHere;

    LocalKafka(Path project) {
        this.script = project.resolve("bin/kafka-local");
    }

    /** Starts the broker unless it runs, registers its stop, and answers the bootstrap address. */
    String start(Lifecycle lifecycle) throws IOException, InterruptedException {
        long t0 = System.nanoTime();
        boolean running = run(List.of("status"), 30).exitCode() == 0;
        if (running) {
            Console.info("Kafka was already running (bin/kafka-local); it stays running afterwards");
        } else {
            // registered first: if this start is interrupted, the stop still finds the broker through its pid file
            lifecycle.onStop("Kafka", this::stop);
            startedHere = true;
        }
        if (lifecycle.stopping()) {
            throw new IllegalStateException("stopping");
        }
        Result start = run(List.of("start"), 600);
        if (start.exitCode() != 0) {
            throw new IllegalStateException("bin/kafka-local start failed (exit " + start.exitCode()
                    + "); its log: $DISPATCH_HOME/kafka/kafka.log");
        }
        String[] lines = start.stdout().strip().split("\\R");
        String bootstrap = lines[lines.length - 1].strip();
        if (!running) {
            Console.info("Kafka ready at " + bootstrap + " in " + Console.since(t0));
        }
        return bootstrap;
    }

    /** True if this launcher started the broker (and so stops it). */
    boolean startedHere() {
        return startedHere;
    }

    private void stop() throws IOException, InterruptedException {
        Result stop = run(List.of("stop"), 90);
        if (stop.exitCode() != 0) {
            Console.warn("bin/kafka-local stop exited with " + stop.exitCode());
        }
    }

    private record Result(int exitCode, String stdout) {
    }

    /**
     * Runs the script; its progress lines (stderr) are relayed to the launcher's stderr, its stdout is returned. The
     * script never writes to the terminal itself: if that is gone (Ctrl-C on {@code dispatch-local | tee}), a write
     * would kill it with SIGPIPE before it stopped the broker.
     */
    private Result run(List<String> args, int timeoutSeconds) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(script.toString());
        command.addAll(args);
        Process process = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .start();
        Thread relay = Thread.ofVirtual().start(() -> {
            try (BufferedReader err = process.errorReader(StandardCharsets.UTF_8)) {
                err.lines().forEach(line -> {
                    System.err.println(line);
                    System.err.flush();
                });
            } catch (IOException | UncheckedIOException e) {
                // the script is gone; nothing more to relay
            }
        });
        String stdout = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            return new Result(-1, stdout);
        }
        relay.join(1000);
        return new Result(process.exitValue(), stdout);
    }
}
