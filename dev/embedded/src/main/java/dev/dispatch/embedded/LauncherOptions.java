package dev.dispatch.embedded;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * What {@code bin/dispatch-local} asked for, from its arguments and environment.
 *
 * @param project the project directory (holds {@code bin/} and {@code target/quarkus-app})
 * @param home {@code $DISPATCH_HOME}: keys, Kafka and embedded PostgreSQL state
 * @param httpPort the service's HTTP port ({@code QUARKUS_HTTP_PORT}, default 8080)
 * @param managementPort its management port: health and metrics ({@code QUARKUS_MANAGEMENT_PORT}, default 9000)
 * @param embeddedPostgres true for the embedded PostgreSQL, false for an existing server ({@code --external-pg})
 * @param pgHost host of the PostgreSQL in use (127.0.0.1 when embedded)
 * @param pgPort its port ({@code DISPATCH_EMBEDDED_PG_PORT}, default 15432, or {@code DISPATCH_PG_PORT}, default 5432)
 * @param pgUser its user ({@code DISPATCH_PG_USER}, default postgres)
 * @param pgDatabase the service's database, created if missing ({@code DISPATCH_PG_DB}, default dispatch)
 * @param demoHosts number of in-process SSH demo hosts to start and register (0: none)
 */
record LauncherOptions(Path project, Path home, int httpPort, int managementPort, boolean embeddedPostgres, String pgHost, int pgPort,
        String pgUser, String pgDatabase, int demoHosts) {

    /** Most demo hosts one launcher starts (each is an SSH server with its own host key). */
    static final int MAX_DEMO_HOSTS = 50;

    static final String USAGE = """
            usage: bin/dispatch-local [run] [--demo-hosts N] [--external-pg]
                   bin/dispatch-local token TENANT ROLE...
              --demo-hosts N   also start N SSH hosts in this process (127.0.0.1, random ports, commands run
                               locally as the current user) and register them in tenant 'demo'
              --external-pg    use an existing PostgreSQL (DISPATCH_PG_HOST/PORT/USER/DB, default
                               127.0.0.1:5432, postgres, dispatch) instead of the embedded one; also DISPATCH_PG=external
            environment: QUARKUS_HTTP_PORT (8080), QUARKUS_MANAGEMENT_PORT (9000), DISPATCH_HOME (.dispatch), DISPATCH_EMBEDDED_PG_PORT (15432),
                         DISPATCH_KAFKA_PORT (9092)""";

    /** Parses arguments; throws {@link IllegalArgumentException} with a message for the user on bad input. */
    static LauncherOptions parse(List<String> args, Map<String, String> env, Path project) {
        boolean embedded = !"external".equalsIgnoreCase(env.getOrDefault("DISPATCH_PG", "embedded"));
        int demoHosts = 0;
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            switch (arg) {
                case "run" -> {
                    if (i != 0) {
                        throw new IllegalArgumentException("'run' must come first");
                    }
                }
                case "--external-pg" -> embedded = false;
                case "--demo-hosts" -> {
                    if (i + 1 >= args.size()) {
                        throw new IllegalArgumentException("--demo-hosts needs a number");
                    }
                    demoHosts = number("--demo-hosts", args.get(++i), 1, MAX_DEMO_HOSTS);
                }
                default -> {
                    if (arg.startsWith("--demo-hosts=")) {
                        demoHosts = number("--demo-hosts", arg.substring("--demo-hosts=".length()), 1, MAX_DEMO_HOSTS);
                    } else {
                        throw new IllegalArgumentException("unknown argument '" + arg + "'");
                    }
                }
            }
        }
        String home = env.get("DISPATCH_HOME");
        Path homeDir = (home == null || home.isBlank() ? project.resolve(".dispatch") : Path.of(home))
                .toAbsolutePath().normalize();
        int httpPort = number("QUARKUS_HTTP_PORT", env.getOrDefault("QUARKUS_HTTP_PORT", "8080"), 1, 65535);
        int managementPort = number("QUARKUS_MANAGEMENT_PORT", env.getOrDefault("QUARKUS_MANAGEMENT_PORT", "9000"), 1,
                65535);
        if (managementPort == httpPort) {
            throw new IllegalArgumentException("QUARKUS_MANAGEMENT_PORT must differ from QUARKUS_HTTP_PORT (both "
                    + httpPort + ")");
        }
        String pgHost = embedded ? "127.0.0.1" : env.getOrDefault("DISPATCH_PG_HOST", "127.0.0.1");
        int pgPort = embedded
                ? number("DISPATCH_EMBEDDED_PG_PORT", env.getOrDefault("DISPATCH_EMBEDDED_PG_PORT", "15432"), 1, 65535)
                : number("DISPATCH_PG_PORT", env.getOrDefault("DISPATCH_PG_PORT", "5432"), 1, 65535);
        String pgUser = env.getOrDefault("DISPATCH_PG_USER", "postgres");
        String pgDatabase = env.getOrDefault("DISPATCH_PG_DB", "dispatch");
        if (!pgDatabase.matches("[a-z_][a-z0-9_]*")) {
            throw new IllegalArgumentException("DISPATCH_PG_DB must be a plain lower-case name: '" + pgDatabase + "'");
        }
        return new LauncherOptions(project, homeDir, httpPort, managementPort, embedded, pgHost, pgPort, pgUser, pgDatabase, demoHosts);
    }

    private static int number(String name, String value, int min, int max) {
        try {
            int n = Integer.parseInt(value.strip());
            if (n >= min && n <= max) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException(name + " must be a number from " + min + " to " + max + ": '" + value + "'");
    }

    /** {@code $DISPATCH_HOME/keys}: the install's JWT signing key pair, credential key and tokens. */
    Path keys() {
        return home.resolve("keys");
    }

    /** {@code $DISPATCH_HOME/embedded}: embedded PostgreSQL binaries, data and log, demo host homes. */
    Path embeddedDir() {
        return home.resolve("embedded");
    }

    /** JDBC URL of the service's database. */
    String jdbcUrl() {
        return "jdbc:postgresql://" + pgHost + ":" + pgPort + "/" + pgDatabase;
    }

    /** http://localhost:PORT */
    String baseUrl() {
        return "http://localhost:" + httpPort;
    }

    /** http://localhost:MANAGEMENT_PORT (health, metrics) */
    String managementUrl() {
        return "http://localhost:" + managementPort;
    }
}
