package dev.dispatch.embedded;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * {@code bin/dispatch-local}'s supervisor: starts Kafka, PostgreSQL (embedded unless {@code --external-pg}), the
 * install's tokens and optional demo SSH hosts side by side, then the packaged service; registers the demo hosts,
 * prints where everything is, and on Ctrl-C/SIGTERM (or when the service exits) stops everything it started in
 * reverse order. Runs from its own classpath (dev/embedded/pom.xml), never the service's.
 */
public final class EmbeddedLauncher {
    private EmbeddedLauncher() {
    }

    /** Entry point; exits with the service's exit code, 1 if starting failed, 2 on bad arguments. */
    public static void main(String[] args) {
        if (Arrays.asList(args).contains("--help") || Arrays.asList(args).contains("-h")) {
            System.out.println(LauncherOptions.USAGE);
            return;
        }
        Path project = Path.of(System.getProperty("dispatch.project.dir", ".")).toAbsolutePath().normalize();
        LauncherOptions options;
        try {
            options = LauncherOptions.parse(List.of(args), System.getenv(), project);
        } catch (IllegalArgumentException e) {
            System.err.println("dispatch-local: " + e.getMessage());
            System.err.println(LauncherOptions.USAGE);
            System.exit(2);
            return;
        }
        Lifecycle lifecycle = new Lifecycle();
        Runtime.getRuntime().addShutdownHook(new Thread(lifecycle::stopAll, "dispatch-local-stop"));
        int exit;
        try {
            exit = run(options, lifecycle);
        } catch (Exception e) {
            if (!lifecycle.stopping()) {
                Console.info("ERROR: " + message(e));
            }
            exit = 1;
        }
        System.exit(exit);
    }

    private static int run(LauncherOptions options, Lifecycle lifecycle) throws Exception {
        long t0 = System.nanoTime();
        if (Database.portInUse(options.httpPort())) {
            throw new IllegalStateException("port " + options.httpPort() + " is in use by another process: set"
                    + " QUARKUS_HTTP_PORT to a free port");
        }
        Files.createDirectories(options.embeddedDir());
        Database database = new Database(options);
        DevTokens devTokens = new DevTokens(options.project(), options.keys());
        LocalKafka localKafka = new LocalKafka(options.project());
        try (ExecutorService starters = Executors.newVirtualThreadPerTaskExecutor()) {
            Future<String> kafka = start(starters, lifecycle, () -> localKafka.start(lifecycle));
            Future<Void> postgres = start(starters, lifecycle, () -> {
                database.start(lifecycle);
                return null;
            });
            Future<Tokens> tokens = start(starters, lifecycle, () -> Tokens.create(devTokens, options.demoHosts() > 0));
            Future<DemoHosts> demo = options.demoHosts() == 0 ? null : start(starters, lifecycle, () -> {
                DemoHosts hosts = DemoHosts.start(options.demoHosts(), options.embeddedDir().resolve("demo"));
                lifecycle.onStop("demo SSH hosts", hosts::close);
                return hosts;
            });

            String bootstrap = get(kafka);
            get(postgres);
            Tokens issued = get(tokens);
            DemoHosts demoHosts = demo == null ? null : get(demo);

            Map<String, String> env = new HashMap<>();
            env.put("QUARKUS_DATASOURCE_JDBC_URL", options.jdbcUrl());
            // The service connects as the restricted role (it cannot delete, update or truncate audit rows), Flyway
            // as the owner; the local server trusts 127.0.0.1, so the Flyway password (Quarkus wants one) is unused.
            env.put("QUARKUS_DATASOURCE_USERNAME", Database.APP_ROLE);
            env.put("QUARKUS_FLYWAY_USERNAME", options.pgUser());
            env.put("QUARKUS_FLYWAY_PASSWORD", System.getenv().getOrDefault("QUARKUS_DATASOURCE_PASSWORD", "trust"));
            env.put("DISPATCH_AUDIT_HMAC_KEY", devTokens.auditKey());
            env.put("KAFKA_BOOTSTRAP_SERVERS", bootstrap);
            env.put("MP_JWT_VERIFY_PUBLICKEY_LOCATION", devTokens.publicKey().toString());
            env.put("DISPATCH_CREDENTIALS_ENCRYPTION_KEY", devTokens.credentialKey());
            env.put("QUARKUS_HTTP_PORT", Integer.toString(options.httpPort()));
            env.put("QUARKUS_MANAGEMENT_PORT", Integer.toString(options.managementPort()));
            // Ctrl-C should not wait the production default (30 s) for running commands
            if (System.getenv("DISPATCH_WORKER_DRAIN_TIMEOUT") == null) {
                env.put("DISPATCH_WORKER_DRAIN_TIMEOUT", "5s");
            }
            Console.info("starting dispatch on port " + options.httpPort() + " ...");
            DispatchApp app = DispatchApp.start(options, env, lifecycle);
            app.awaitReady();
            if (demoHosts != null) {
                new DemoRegistration(options.baseUrl(), issued.demoAdmin()).register(demoHosts);
            }
            System.out.println(Banner.text(options, database, bootstrap, localKafka.startedHere(), issued, demoHosts,
                    Console.since(t0)));
            System.out.flush();
            int exit = app.waitFor();
            if (!lifecycle.stopping()) {
                Console.info("dispatch exited with " + exit + "; stopping the rest");
            }
            return exit;
        }
    }

    private static <T> Future<T> start(ExecutorService pool, Lifecycle lifecycle, Callable<T> task) {
        Future<T> future = pool.submit(task);
        lifecycle.track(future);
        return future;
    }

    private static <T> T get(Future<T> future) throws Exception {
        try {
            return future.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Exception cause) {
                throw cause;
            }
            throw e;
        }
    }

    private static String message(Throwable e) {
        String message = e.getMessage();
        return message == null || message.isBlank() ? e.toString() : message;
    }

    /** The tokens this start prints: default tenant admin, and demo tenant admin and operator when demo hosts run. */
    record Tokens(String admin, String demoAdmin, String demoOperator) {
        static Tokens create(DevTokens devTokens, boolean demo) throws Exception {
            devTokens.init();
            if (!demo) {
                return new Tokens(devTokens.token("default", "dispatch-admin", "admin.token"), null, null);
            }
            try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
                Future<String> admin = pool.submit(() -> devTokens.token("default", "dispatch-admin", "admin.token"));
                Future<String> demoAdmin = pool.submit(
                        () -> devTokens.token(DemoRegistration.TENANT, "dispatch-admin", "demo-admin.token"));
                Future<String> demoOperator = pool.submit(
                        () -> devTokens.token(DemoRegistration.TENANT, "dispatch-operator", "demo-operator.token"));
                return new Tokens(get(admin), get(demoAdmin), get(demoOperator));
            }
        }
    }
}
