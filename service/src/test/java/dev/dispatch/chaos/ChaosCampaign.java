package dev.dispatch.chaos;

import static dev.dispatch.chaos.Cluster.log;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The project's fault campaign ({@code bin/chaos [scenario...]}): runs fault scenarios against real processes (one
 * api and two worker processes of the packaged service, a private PostgreSQL it restarts, the project's Kafka broker
 * it stops, OpenSSH hosts on loopback) and prints one Markdown table of expected and observed facts. Exits 1 when
 * any row's observation differs from its promise, 2 when the environment could not be started.
 */
public final class ChaosCampaign {
    private interface Scenario {
        Row run(Scenarios s) throws Exception;
    }

    private static final Map<String, Scenario> SCENARIOS = new LinkedHashMap<>();

    static {
        SCENARIOS.put("finishes", Scenarios::finishes);
        SCENARIOS.put("broker-down", Scenarios::brokerDown);
        SCENARIOS.put("pg-restart", Scenarios::pgRestart);
        SCENARIOS.put("kill-9", Scenarios::kill9);
        SCENARIOS.put("poison", Scenarios::poison);
        SCENARIOS.put("cancel", Scenarios::cancel);
        SCENARIOS.put("sigterm", Scenarios::sigterm);
    }

    private ChaosCampaign() {}

    /** Runs the scenarios named (or numbered 1-7) in {@code args}, all of them when none is given. */
    public static void main(String[] args) throws Exception {
        List<String> names = new ArrayList<>(SCENARIOS.keySet());
        List<String> chosen = new ArrayList<>();
        for (String a : args) {
            String name = a.matches("\\d+") && Integer.parseInt(a) >= 1 && Integer.parseInt(a) <= names.size()
                    ? names.get(Integer.parseInt(a) - 1)
                    : a;
            if (!SCENARIOS.containsKey(name)) {
                System.err.println("unknown scenario '" + a + "'; choose from 1-7 or " + names);
                System.exit(2);
            }
            chosen.add(name);
        }
        if (chosen.isEmpty()) {
            chosen.addAll(names);
        }
        chosen.sort((a, b) -> names.indexOf(a) - names.indexOf(b));
        Path project = Path.of(System.getProperty("test.project.dir", ".")).toAbsolutePath();
        int pgPort = Integer.parseInt(System.getenv().getOrDefault("DISPATCH_CHAOS_PG_PORT", "19142"));
        int kafkaPort = Integer.parseInt(System.getenv().getOrDefault("DISPATCH_CHAOS_KAFKA_PORT", "19140"));
        long t0 = System.nanoTime();
        List<Row> rows = new ArrayList<>();
        Cluster cluster;
        try {
            cluster = Cluster.start(project, project.resolve("target/chaos"), pgPort, kafkaPort);
        } catch (Exception e) {
            System.err.println("chaos: could not start the environment: " + e);
            e.printStackTrace();
            System.exit(2);
            return;
        }
        double setup = (System.nanoTime() - t0) / 1e9;
        try (cluster) {
            Scenarios scenarios = new Scenarios(cluster);
            log("warm-up job on %d hosts", Cluster.HOSTS);
            cluster.awaitTerminal(cluster.submit(cluster.hosts, "true"), Duration.ofSeconds(120));
            for (String name : chosen) {
                long s0 = System.nanoTime();
                log("scenario %s ...", name);
                Row row;
                try {
                    cluster.ensureWorkers();
                    row = SCENARIOS.get(name).run(scenarios);
                } catch (Exception | AssertionError e) {
                    row = new Row(name);
                    row.error = e.toString();
                    e.printStackTrace();
                }
                row.note("%s: took %.0f s", name, (System.nanoTime() - s0) / 1e9);
                log("%s", row.markdown());
                rows.add(row);
            }
        }
        System.out.printf(
                "%nFault campaign: 1 api + 2 worker processes, %d OpenSSH hosts, private PostgreSQL %d,"
                        + " Kafka %d; lease %d s, reaper %d s; %d cores%n%n",
                Cluster.HOSTS,
                pgPort,
                kafkaPort,
                Cluster.LEASE.toSeconds(),
                Cluster.REAPER.toSeconds(),
                Runtime.getRuntime().availableProcessors());
        System.out.println("| scenario | expected | observed | lost | duplicated | time to recover | verdict |");
        System.out.println("|---|---|---|---|---|---|---|");
        rows.forEach(r -> System.out.println(r.markdown()));
        System.out.println();
        rows.forEach(r -> r.notes.forEach(n -> System.out.println("- " + n)));
        System.out.printf(
                "%nsetup %.0f s, whole campaign %.0f s; %d of %d rows as promised%n",
                setup,
                (System.nanoTime() - t0) / 1e9,
                rows.stream().filter(Row::passed).count(),
                rows.size());
        System.exit(rows.stream().allMatch(Row::passed) ? 0 : 1);
    }
}
