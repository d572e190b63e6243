package dev.dispatch.embedded;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** The packaged service ({@code service/target/quarkus-app/quarkus-run.jar}, role {@code all}) as a child process. */
final class DispatchApp {
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(180);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(45);

    private final Process process;
    private final String baseUrl;

    private DispatchApp(Process process, String baseUrl) {
        this.process = process;
        this.baseUrl = baseUrl;
    }

    /** Starts the service with {@code env} added to the launcher's environment; its log goes to this terminal. */
    static DispatchApp start(LauncherOptions options, Map<String, String> env, Lifecycle lifecycle) throws IOException {
        Path jar = options.project().resolve("service/target/quarkus-app/quarkus-run.jar");
        if (!Files.exists(jar)) {
            throw new IllegalStateException(jar + " is missing (bin/dispatch-local builds it with ./mvnw package)");
        }
        if (Database.portInUse(options.httpPort())) {
            throw new IllegalStateException("port " + options.httpPort() + " is in use by another process: set"
                    + " QUARKUS_HTTP_PORT to a free port");
        }
        if (Database.portInUse(options.managementPort())) {
            throw new IllegalStateException("port " + options.managementPort() + " is in use by another process: set"
                    + " QUARKUS_MANAGEMENT_PORT to a free port");
        }
        String java = ProcessHandle.current().info().command().orElse("java");
        ProcessBuilder builder = new ProcessBuilder(List.of(java, "-jar", jar.toString())).inheritIO();
        builder.environment().putAll(env);
        DispatchApp app = new DispatchApp(builder.start(), options.managementUrl());
        lifecycle.onStop("dispatch", app::stop);
        return app;
    }

    /** Waits until {@code /q/health/ready} answers 200; throws if the process exits or time runs out. */
    void awaitReady() throws IOException, InterruptedException {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("dispatch exited with " + process.exitValue() + " while starting");
            }
            try {
                HttpResponse<Void> response = http.send(HttpRequest.newBuilder(URI.create(baseUrl + "/q/health/ready"))
                        .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.discarding());
                if (response.statusCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            }
            Thread.sleep(250);
        }
        throw new IllegalStateException("dispatch was not ready within " + READY_TIMEOUT.toSeconds() + " s");
    }

    /** Blocks until the service exits; answers its exit code. */
    int waitFor() throws InterruptedException {
        return process.waitFor();
    }

    /** SIGTERM (the worker drains, then cancels), SIGKILL if it is still running after 45 s. */
    private void stop() throws InterruptedException {
        if (!process.isAlive()) {
            return;
        }
        long t0 = System.nanoTime();
        process.destroy();
        if (!process.waitFor(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
            Console.warn("dispatch did not stop within " + STOP_TIMEOUT.toSeconds() + " s; killing it");
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
        Console.info("dispatch stopped in " + Console.since(t0));
    }
}
