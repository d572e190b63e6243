package dev.dispatch.bench;

import static io.restassured.RestAssured.given;

import dev.dispatch.testing.DispatchProcess;
import dev.dispatch.testing.OpenSshHosts;
import dev.dispatch.testing.TestServicesResource;
import io.restassured.http.ContentType;
import io.smallrye.reactive.messaging.kafka.companion.ConsumerTask;
import io.smallrye.reactive.messaging.kafka.companion.KafkaCompanion;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

/**
 * On-demand fan-out benchmark ({@code bin/benchmark fanout}); never part of CI's pass/fail. Runs {@code true} on N
 * OpenSSH loopback hosts through dispatch's whole path (REST submit → PostgreSQL → worker → SSH → job finished,
 * observed as its {@code finished} event on {@code dispatch.job-events.v1}) and, in the same run on the same hosts, through {@code pdsh -R ssh},
 * {@code parallel-ssh} and {@code clush}, each key exchange forced on the servers so every client uses the same one.
 * Prints wall time, CPU and peak RSS, and the ratio to pdsh, for dispatch's first start (fresh process), cold pool
 * (process warmed by a job on other hosts) and warm pool (the previous job's sessions). Sizes:
 * {@code -Dbench.sizes=50,200,1000}, {@code -Dbench.kex=curve25519-sha256,default}, {@code -Dbench.fanout=64}.
 */
class FanoutBenchmark {
    private static final List<Integer> SIZES = Arrays.stream(
                    System.getProperty("bench.sizes", "50,200,1000").split(","))
            .map(String::strip)
            .map(Integer::valueOf)
            .toList();
    private static final List<String> KEX = Arrays.stream(
                    System.getProperty("bench.kex", "curve25519-sha256,default").split(","))
            .map(String::strip)
            .toList();
    private static final int FANOUT = Integer.getInteger("bench.fanout", 64);
    private static final int WARMUP_HOSTS = 16;

    private static ConsumerTask<String, String> jobEvents;

    private record Row(String tool, double wallSeconds, double cpuSeconds, long peakRssKib, String note) {}

    @Test
    void fanout() throws Exception {
        TestServicesResource services = new TestServicesResource();
        Map<String, String> config = services.start();
        KafkaCompanion kafka = new KafkaCompanion(config.get("kafka.bootstrap.servers"));
        jobEvents = kafka.consumeStrings().fromTopics("dispatch.job-events.v1");
        Path work = Files.createTempDirectory("dispatch-fanout");
        StringBuilder report = new StringBuilder();
        try {
            for (String kex : KEX) {
                String sshdKex = kex.equals("default") ? "" : "KexAlgorithms " + kex;
                try (OpenSshHosts warmup = OpenSshHosts.start(WARMUP_HOSTS, work.resolve(kex + "-warmup"), sshdKex)) {
                    for (int size : SIZES) {
                        Path dir = work.resolve(kex + "-" + size);
                        try (OpenSshHosts fleet = OpenSshHosts.start(size, dir, sshdKex)) {
                            report.append(table(kex, size, fleet, dir, warmup, config));
                        }
                    }
                }
            }
        } finally {
            jobEvents.stop();
            kafka.close();
            services.stop();
        }
        System.out.printf(
                "%nFan-out benchmark: `true` on N OpenSSH loopback hosts, %d cores, fan-out %d%n%s",
                Runtime.getRuntime().availableProcessors(), FANOUT, report);
    }

    private static String table(
            String kex, int size, OpenSshHosts fleet, Path dir, OpenSshHosts warmup, Map<String, String> config)
            throws Exception {
        Path sshConfig = writeClientConfig(fleet, dir, kex);
        Path hostsFile = dir.resolve("hosts");
        Files.write(
                hostsFile,
                fleet.hosts().stream().map(OpenSshHosts.Host::address).toList());
        String hostList = fleet.hosts().stream().map(OpenSshHosts.Host::address).collect(Collectors.joining(","));

        List<Row> rows = new ArrayList<>();
        rows.add(timed(
                "pdsh -R ssh",
                dir,
                Map.of("PDSH_SSH_ARGS_APPEND", "-F " + sshConfig),
                "pdsh",
                "-R",
                "ssh",
                "-f",
                Integer.toString(FANOUT),
                "-w",
                "^" + hostsFile,
                "true"));
        rows.add(timed(
                "parallel-ssh",
                dir,
                Map.of(),
                "parallel-ssh",
                "-p",
                Integer.toString(FANOUT),
                "-t",
                "0",
                "-h",
                hostsFile.toString(),
                "-x",
                "-F " + sshConfig,
                "true"));
        rows.add(timed(
                "clush",
                dir,
                Map.of(),
                "clush",
                "-f",
                Integer.toString(FANOUT),
                "-w",
                hostList,
                "-o",
                "-F " + sshConfig,
                "true"));
        rows.addAll(dispatch(size, fleet, warmup, config));

        double pdsh = rows.get(0).wallSeconds();
        StringBuilder out = new StringBuilder();
        out.append(String.format("%n%d hosts, key exchange %s%n", size, kex));
        out.append("| client | wall (s) | ratio to pdsh | CPU (s) | peak RSS (MiB) | note |\n");
        out.append("|---|---|---|---|---|---|\n");
        for (Row r : rows) {
            out.append(String.format(
                    "| %s | %.2f | %.2f | %.2f | %.0f | %s |%n",
                    r.tool(),
                    r.wallSeconds(),
                    r.wallSeconds() / pdsh,
                    r.cpuSeconds(),
                    r.peakRssKib() / 1024.0,
                    r.note()));
        }
        System.out.print(out);
        return out.toString();
    }

    /** First start, cold and warm rows: each a job of {@code true} on every host of the fleet. */
    private static List<Row> dispatch(int size, OpenSshHosts fleet, OpenSshHosts warmup, Map<String, String> config)
            throws Exception {
        Map<String, String> env = DispatchProcess.env(config, "all", "fanout-" + size);
        env.put("DISPATCH_INTAKE_MAX_PARALLELISM", Integer.toString(Math.max(1000, size)));
        env.put("DISPATCH_WORKER_MAX_CONCURRENT_RUNS", Integer.toString(Math.max(256, size)));
        env.put("DISPATCH_SSH_MAX_CONCURRENT_HANDSHAKES", Integer.toString(FANOUT));
        // as patient as the OpenSSH clients (ConnectTimeout 30, no authentication deadline) on a loaded machine
        env.put("DISPATCH_SSH_CONNECT_TIMEOUT", "60s");
        env.put("QUARKUS_LOG_LEVEL", "WARN");
        String tenant = "fanout-" + size + "-" + System.nanoTime();
        List<Row> rows = new ArrayList<>();
        List<String> hosts;
        List<String> warmupHosts;
        String token = DispatchProcess.adminToken(config, tenant, "bench");
        try (DispatchProcess setup = DispatchProcess.start("fanout-setup", env)) {
            hosts = setup.register(token, fleet);
            String warmupTenant = tenant + "-warmup";
            warmupHosts = setup.register(DispatchProcess.adminToken(config, warmupTenant, "bench"), warmup);
        }
        long t0 = System.nanoTime();
        try (DispatchProcess fresh = DispatchProcess.start("fanout-first", env)) {
            double startSeconds = (System.nanoTime() - t0) / 1e9;
            rows.add(job(
                    "dispatch, first start",
                    fresh,
                    token,
                    hosts,
                    String.format("fresh JVM, pool empty; process start to ready %.1f s not included", startSeconds)));
        }
        try (DispatchProcess service = DispatchProcess.start("fanout-service", env)) {
            String warmupToken = DispatchProcess.adminToken(config, tenant + "-warmup", "bench");
            for (int i = 0; i < 3; i++) {
                job("warm-up", service, warmupToken, warmupHosts, "");
            }
            rows.add(job(
                    "dispatch, cold pool",
                    service,
                    token,
                    hosts,
                    "JVM warmed on " + WARMUP_HOSTS + " other hosts, pool empty for these"));
            Row warm = null;
            for (int i = 0; i < 3; i++) {
                Row r = job("dispatch, warm pool", service, token, hosts, "");
                warm = warm == null || r.wallSeconds() < warm.wallSeconds() ? r : warm;
            }
            rows.add(new Row(
                    warm.tool(),
                    warm.wallSeconds(),
                    warm.cpuSeconds(),
                    warm.peakRssKib(),
                    String.format(
                            "best of 3; RSS now %.0f MiB holding %d sessions",
                            service.memoryKib("VmRSS") / 1024.0, size + WARMUP_HOSTS)));
        }
        return rows;
    }

    private static Row job(String label, DispatchProcess service, String token, List<String> hosts, String note)
            throws Exception {
        long cpu0 = service.cpuMillis();
        long t0 = System.nanoTime();
        String id = given().baseUri(service.baseUrl())
                .auth()
                .oauth2(token)
                .contentType(ContentType.JSON)
                .body(Map.of(
                        "kind",
                        "exec",
                        "targets",
                        Map.of("hosts", hosts),
                        "command",
                        "true",
                        "parallelism",
                        hosts.size()))
                .post("/api/v1/jobs")
                .then()
                .statusCode(202)
                .extract()
                .path("id");
        String state = awaitFinished(id);
        double wall = (System.nanoTime() - t0) / 1e9;
        if (!state.contains("SUCCEEDED")) {
            throw new IllegalStateException(label + ": job " + id + " ended " + state);
        }
        return new Row(label, wall, (service.cpuMillis() - cpu0) / 1000.0, service.memoryKib("VmHWM"), note);
    }

    /** Waits for the job's {@code finished} event on Kafka, as a client of the service would; returns the event. */
    private static String awaitFinished(String jobId) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
        while (System.nanoTime() < deadline) {
            for (ConsumerRecord<String, String> r : jobEvents.getRecords()) {
                if (jobId.equals(r.key()) && r.value().contains("\"finished\"")) {
                    return r.value();
                }
            }
            Thread.sleep(2);
        }
        throw new IllegalStateException("job " + jobId + " did not finish");
    }

    /** Runs a C/Python client under GNU time; fails unless every host answered. */
    private static Row timed(String label, Path dir, Map<String, String> env, String... command)
            throws IOException, InterruptedException {
        Path times = dir.resolve(label.replaceAll("\\W", "_") + ".time");
        Path log = dir.resolve(label.replaceAll("\\W", "_") + ".log");
        List<String> argv = new ArrayList<>(List.of("/usr/bin/time", "-o", times.toString(), "-f", "%e %U %S %M"));
        argv.addAll(List.of(command));
        ProcessBuilder builder =
                new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().putAll(env);
        Process p = builder.start();
        if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IllegalStateException(
                    label + " failed (exit " + (p.isAlive() ? "timeout" : p.exitValue()) + "):\n" + tail(log));
        }
        String[] f = Files.readString(times).strip().split("\\s+");
        return new Row(
                label,
                Double.parseDouble(f[0]),
                Double.parseDouble(f[1]) + Double.parseDouble(f[2]),
                Long.parseLong(f[3]),
                "largest process (GNU time %M)");
    }

    private static Path writeClientConfig(OpenSshHosts fleet, Path dir, String kex) throws IOException {
        Path knownHosts = dir.resolve("known_hosts");
        Files.write(
                knownHosts,
                fleet.hosts().stream()
                        .map(h -> "[" + h.address() + "]:" + h.port() + " " + h.hostKeyLine())
                        .toList());
        Path config = dir.resolve("ssh_config");
        int port = fleet.hosts().get(0).port();
        Files.writeString(
                config,
                """
                Host *
                  Port %d
                  User %s
                  IdentityFile %s
                  IdentitiesOnly yes
                  UserKnownHostsFile %s
                  GlobalKnownHostsFile /dev/null
                  StrictHostKeyChecking yes
                  BatchMode yes
                  ConnectTimeout 30
                  LogLevel ERROR
                %s""".formatted(
                                port,
                                fleet.user(),
                                dir.resolve("user_ed25519_key"),
                                knownHosts,
                                kex.equals("default") ? "" : "  KexAlgorithms " + kex + "\n"),
                StandardCharsets.UTF_8);
        return config;
    }

    private static String tail(Path log) throws IOException {
        List<String> lines = Files.readAllLines(log);
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
    }
}
