package dev.dispatch.embedded;

import java.util.List;

/** The "ready" message: addresses, tokens and, with demo hosts, the curl that runs a fan-out on them. */
final class Banner {
    /** First line of the message; scripts and tests wait for it. */
    static final String READY = "dispatch is ready:";

    private Banner() {
    }

    static String text(LauncherOptions options, Database database, String kafka, boolean stopsKafka,
            EmbeddedLauncher.Tokens tokens, DemoHosts demo, String startTime) {
        String url = options.baseUrl();
        String pg = options.embeddedPostgres()
                ? options.jdbcUrl() + "  (embedded, user " + options.pgUser() + ", data " + database.dataDir()
                        + ", log " + database.logFile() + ")"
                : options.jdbcUrl() + "  (external, user " + options.pgUser() + ")";
        StringBuilder out = new StringBuilder();
        out.append("\n  ").append(READY).append(' ').append(url).append("   (started in ").append(startTime).append(")\n")
                .append("    API          ").append(url).append("/api/v1\n")
                .append("    Swagger UI   ").append(url).append("/q/swagger-ui\n")
                .append("    OpenAPI      ").append(url).append("/q/openapi\n")
                .append("    Health       ").append(options.managementUrl()).append("/q/health\n")
                .append("    Metrics      ").append(options.managementUrl()).append("/q/metrics\n")
                .append("    PostgreSQL   ").append(pg).append('\n')
                .append("    Kafka        ").append(kafka).append("  (bin/kafka-local, log ")
                .append(options.home().resolve("kafka/kafka.log")).append(")\n")
                .append("    Admin token  tenant 'default', also in ").append(options.keys().resolve("admin.token"))
                .append(":\n      ").append(tokens.admin()).append('\n');
        if (demo != null) {
            List<String> names = DemoRegistration.names(demo);
            String auth = "-H \"Authorization: Bearer $(cat " + options.keys().resolve("demo-operator.token") + ")\"";
            out.append("\n  Demo: ").append(names.size()).append(" SSH hosts ").append(String.join(", ", names))
                    .append(" in tenant '").append(DemoRegistration.TENANT).append("', label fleet=demo,")
                    .append(" in this process on 127.0.0.1\n")
                    .append("  (commands really run on this machine as ").append(System.getProperty("user.name"))
                    .append(", each host in its own directory under ").append(options.embeddedDir().resolve("demo"))
                    .append(")\n")
                    .append("    Operator token  tenant 'demo', also in ")
                    .append(options.keys().resolve("demo-operator.token")).append(":\n      ")
                    .append(tokens.demoOperator()).append('\n')
                    .append("    Run a command on every demo host:\n")
                    .append("      curl -si -X POST ").append(url).append("/api/v1/jobs ").append(auth)
                    .append(" -H 'Content-Type: application/json' -d '{\"kind\": \"exec\", \"targets\": {\"labels\": ")
                    .append(DemoRegistration.SELECTOR)
                    .append("}, \"command\": \"echo hello from $DEMO_HOST; uname -sr\"}'\n")
                    .append("    Then, with the job id it answers:\n")
                    .append("      curl -s ").append(url).append("/api/v1/jobs/JOB_ID/runs ").append(auth).append('\n')
                    .append("      curl -s ").append(url).append("/api/v1/jobs/JOB_ID/runs/").append(names.get(0))
                    .append("/output ").append(auth).append('\n');
        }
        List<String> stopped = new java.util.ArrayList<>(List.of("dispatch"));
        if (demo != null) {
            stopped.add("the demo hosts");
        }
        if (options.embeddedPostgres()) {
            stopped.add("PostgreSQL");
        }
        if (stopsKafka) {
            stopped.add("Kafka");
        }
        String last = stopped.removeLast();
        out.append("\n  Stop with Ctrl-C (stops ").append(String.join(", ", stopped)).append(" and ").append(last)
                .append(").\n");
        return out.toString();
    }
}
