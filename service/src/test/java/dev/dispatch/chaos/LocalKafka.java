package dev.dispatch.chaos;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The project's own broker ({@code bin/kafka-local}) under a state directory of the campaign's own, on its own port,
 * so the campaign may stop and start it without disturbing anybody's test broker.
 */
final class LocalKafka {
    private final Path project;
    private final Path home;
    private final int port;

    LocalKafka(Path project, Path home, int port) {
        this.project = project;
        this.home = home;
        this.port = port;
    }

    /** Empties the broker's data (topics of earlier campaigns) and reuses the project's downloaded jars if present. */
    void reset() throws IOException {
        Path kafka = Files.createDirectories(home.resolve("kafka"));
        deleteTree(kafka.resolve("data"));
        try (Stream<Path> libs = Files.exists(project.resolve(".dispatch/kafka"))
                ? Files.list(project.resolve(".dispatch/kafka"))
                : Stream.empty()) {
            for (Path lib : libs.filter(p -> p.getFileName().toString().startsWith("lib-"))
                    .toList()) {
                Path mine = kafka.resolve(lib.getFileName());
                if (Files.exists(lib.resolve(".complete")) && !Files.exists(mine)) {
                    Files.createSymbolicLink(mine, lib);
                }
            }
        }
    }

    /** Starts the broker (idempotent) and returns its bootstrap address. */
    String start() throws IOException {
        String out = run("start", 600);
        String[] lines = out.strip().split("\\R");
        return lines[lines.length - 1].strip();
    }

    /** SIGTERM to the broker; returns once it has exited. */
    void stop() throws IOException {
        run("stop", 120);
    }

    private String run(String action, int timeoutSeconds) throws IOException {
        ProcessBuilder builder = new ProcessBuilder(
                        project.resolve("bin/kafka-local").toString(), action)
                .redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        builder.environment()
                .putAll(Map.of(
                        "DISPATCH_HOME",
                        home.toString(),
                        "DISPATCH_KAFKA_PORT",
                        Integer.toString(port),
                        "DISPATCH_KAFKA_CONTROLLER_PORT",
                        Integer.toString(port + 1)));
        Process p = builder.start();
        byte[] out = p.getInputStream().readAllBytes();
        try {
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroyForcibly();
                throw new IOException(
                        "bin/kafka-local " + action + " failed:\n" + new String(out, StandardCharsets.UTF_8));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        return new String(out, StandardCharsets.UTF_8);
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> all = Files.walk(root)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    /** The broker log, for a failure report. */
    List<String> logTail() {
        try {
            List<String> lines = Files.readAllLines(home.resolve("kafka/kafka.log"));
            return lines.subList(Math.max(0, lines.size() - 20), lines.size());
        } catch (IOException e) {
            return List.of();
        }
    }
}
