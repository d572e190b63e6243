package dev.dispatch.bench;

import static io.restassured.RestAssured.given;

import dev.dispatch.testing.DispatchProcess;
import dev.dispatch.testing.OpenSshHosts;
import dev.dispatch.testing.TestServicesResource;
import io.restassured.http.ContentType;
import io.smallrye.reactive.messaging.kafka.companion.ConsumerTask;
import io.smallrye.reactive.messaging.kafka.companion.KafkaCompanion;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.sshd.client.SshClient;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.NamedResource;
import org.apache.sshd.common.config.keys.AuthorizedKeyEntry;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.PublicKeyEntryResolver;
import org.apache.sshd.common.util.security.SecurityUtils;
import org.junit.jupiter.api.Test;

/**
 * On-demand benchmark of the whole pipeline (REST intake → PostgreSQL → workers → SSH → Kafka), run with
 * {@code bin/benchmark pipeline}; never part of CI's pass/fail. Prints sustained host runs per second for back-to-back
 * jobs of {@code true} on N OpenSSH hosts with a warm pool, and submit-to-first-output-chunk latency, with one and two
 * worker processes, against a bare MINA client running the same commands over warm sessions in the same run.
 * Sizes: {@code -Dbench.hosts} (default 200), {@code -Dbench.seconds} (default 30), {@code -Dbench.latency-jobs} (50).
 */
class PipelineBenchmark {
    private static final int HOSTS = Integer.getInteger("bench.hosts", 200);
    private static final int SECONDS = Integer.getInteger("bench.seconds", 30);
    private static final int LATENCY_JOBS = Integer.getInteger("bench.latency-jobs", 50);

    private static ConsumerTask<String, String> jobEvents;
    private static String sessions = "";

    @Test
    void pipeline() throws Exception {
        TestServicesResource services = new TestServicesResource();
        Map<String, String> config = services.start();
        KafkaCompanion events = new KafkaCompanion(config.get("kafka.bootstrap.servers"));
        jobEvents = events.consumeStrings().fromTopics("dispatch.job-events.v1");
        Path work = Files.createTempDirectory("dispatch-bench");
        try (OpenSshHosts fleet = OpenSshHosts.start(HOSTS, work.resolve("fleet"))) {
            List<String> rows = new ArrayList<>();
            double bare = bareClientRunsPerSecond(fleet);
            rows.add(String.format("| bare MINA client, warm sessions (baseline) | %8.0f | 1.00 | – | – | – |", bare));
            Map<String, String> env = env(config, "all", "bench-a");
            try (DispatchProcess api = DispatchProcess.start("bench-api", env)) {
                String token = DispatchProcess.adminToken(config, "bench", "bench");
                List<String> hosts = api.register(token, fleet);
                runJob(api, token, hosts, "true");
                rows.add(measure("dispatch, 1 process (api+worker)", api, token, hosts, config, bare, api.pid()));
                try (DispatchProcess worker = DispatchProcess.start("bench-worker", env(config, "worker", "bench-b"))) {
                    runJob(api, token, hosts, "true");
                    rows.add(measure(
                            "dispatch, 2 processes (api+worker, worker)",
                            api,
                            token,
                            hosts,
                            config,
                            bare,
                            api.pid(),
                            worker.pid()));
                    sessions = String.format(
                            "SSH sessions after the 2-process row (affinity): api+worker %.0f, worker"
                                    + " %.0f, for %d hosts",
                            poolSessions(api), poolSessions(worker), hosts.size());
                }
            }
            // api and worker in separate processes: only the database tells the worker that runs were queued
            for (boolean listen : new boolean[] {false, true}) {
                Map<String, String> apiEnv = env(config, "api", "bench-api-only");
                Map<String, String> workerEnv = env(config, "worker", "bench-c");
                workerEnv.put("DISPATCH_WORKER_LISTEN_FOR_QUEUED_RUNS", Boolean.toString(listen));
                try (DispatchProcess api = DispatchProcess.start("bench-api-only", apiEnv);
                        DispatchProcess worker = DispatchProcess.start("bench-worker-c", workerEnv)) {
                    String token = DispatchProcess.adminToken(config, "bench", "bench");
                    List<String> hosts = api.register(token, fleet);
                    runJob(api, token, hosts, "true");
                    rows.add(measure(
                            listen
                                    ? "dispatch, api process + worker process, LISTEN/NOTIFY wake"
                                    : "dispatch, api process + worker process, polling only (250 ms)",
                            api,
                            token,
                            hosts,
                            config,
                            bare,
                            api.pid(),
                            worker.pid()));
                }
            }
            System.out.printf(
                    "%nPipeline benchmark: %d OpenSSH hosts on loopback, %d cores, %d s per row%n",
                    HOSTS, Runtime.getRuntime().availableProcessors(), SECONDS);
            System.out.println(
                    "| setup | host runs/s | ratio to bare client | job wall p50 (ms) | first chunk p50 (ms) "
                            + "| first chunk p99 (ms) | dispatch CPU s per 1000 runs |");
            System.out.println("|---|---|---|---|---|---|---|");
            rows.forEach(System.out::println);
            System.out.println(sessions);
        } finally {
            jobEvents.stop();
            events.close();
            services.stop();
        }
    }

    private static String measure(
            String label,
            DispatchProcess api,
            String token,
            List<String> hosts,
            Map<String, String> config,
            double bare,
            long... pids)
            throws Exception {
        long cpuBefore = cpuMillis(pids);
        long runs = 0;
        List<Long> jobMillis = new ArrayList<>();
        long end = System.nanoTime() + Duration.ofSeconds(SECONDS).toNanos();
        long start = System.nanoTime();
        while (System.nanoTime() < end) {
            long t0 = System.nanoTime();
            runJob(api, token, hosts, "true");
            jobMillis.add((System.nanoTime() - t0) / 1_000_000);
            runs += hosts.size();
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        double cpuPerThousand = (cpuMillis(pids) - cpuBefore) / 1000.0 / runs * 1000;
        List<Long> latencies = firstChunkLatencies(api, token, hosts, config);
        double rate = runs / seconds;
        return String.format(
                "| %s | %8.0f | %.2f | %d | %d | %d | %.1f |",
                label,
                rate,
                rate / bare,
                percentile(jobMillis, 50),
                percentile(latencies, 50),
                percentile(latencies, 99),
                cpuPerThousand);
    }

    private static List<Long> firstChunkLatencies(
            DispatchProcess api, String token, List<String> hosts, Map<String, String> config) throws Exception {
        List<Long> latencies = new ArrayList<>();
        try (KafkaCompanion kafka = new KafkaCompanion(config.get("kafka.bootstrap.servers"))) {
            ConsumerTask<String, String> output = kafka.consumeStrings().fromTopics("dispatch.output.v1");
            Thread.sleep(2000);
            for (int i = 0; i < LATENCY_JOBS; i++) {
                String host = hosts.get(i % hosts.size());
                long sent = System.currentTimeMillis();
                String jobId = given().baseUri(api.baseUrl())
                        .auth()
                        .oauth2(token)
                        .contentType(ContentType.JSON)
                        .body(Map.of("kind", "exec", "targets", Map.of("hosts", List.of(host)), "command", "echo x"))
                        .post("/api/v1/jobs")
                        .then()
                        .statusCode(202)
                        .extract()
                        .path("id");
                String key = jobId + "/" + host;
                long deadline = System.currentTimeMillis() + 10_000;
                Long produced = null;
                while (produced == null && System.currentTimeMillis() < deadline) {
                    for (ConsumerRecord<String, String> r : output.getRecords()) {
                        if (key.equals(r.key())) {
                            produced = r.timestamp();
                            break;
                        }
                    }
                    Thread.sleep(1);
                }
                if (produced != null) {
                    latencies.add(produced - sent);
                }
            }
            output.stop();
        }
        return latencies;
    }

    private static double bareClientRunsPerSecond(OpenSshHosts fleet) throws Exception {
        SshClient client = SshClient.setUpDefaultClient();
        var hostKey = AuthorizedKeyEntry.parseAuthorizedKeyEntry(
                        fleet.hosts().get(0).hostKeyLine())
                .resolvePublicKey(null, PublicKeyEntryResolver.FAILING);
        client.setServerKeyVerifier((session, address, key) -> KeyUtils.compareKeys(hostKey, key));
        client.start();
        KeyPair key = SecurityUtils.loadKeyPairIdentities(
                        null,
                        NamedResource.ofName("bench"),
                        new ByteArrayInputStream(fleet.userPrivateKey().getBytes()),
                        null)
                .iterator()
                .next();
        List<ClientSession> sessions = new ArrayList<>();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<ClientSession>> connecting = new ArrayList<>();
            for (OpenSshHosts.Host h : fleet.hosts()) {
                connecting.add(pool.submit(() -> {
                    ClientSession s = client.connect(fleet.user(), h.address(), h.port())
                            .verify(30_000)
                            .getSession();
                    s.addPublicKeyIdentity(key);
                    s.auth().verify(30_000);
                    return s;
                }));
            }
            for (Future<ClientSession> f : connecting) {
                sessions.add(f.get());
            }
            long runs = 0;
            long end = System.nanoTime() + Duration.ofSeconds(SECONDS).toNanos();
            long start = System.nanoTime();
            while (System.nanoTime() < end) {
                List<Future<String>> round = new ArrayList<>();
                for (ClientSession s : sessions) {
                    round.add(pool.submit(() -> s.executeRemoteCommand("true")));
                }
                for (Future<String> f : round) {
                    f.get();
                }
                runs += sessions.size();
            }
            return runs / ((System.nanoTime() - start) / 1e9);
        } finally {
            for (ClientSession s : sessions) {
                s.close(true);
            }
            client.stop();
        }
    }

    /** Submits a job and waits for its {@code finished} event on Kafka, as a client of the service would. */
    private static void runJob(DispatchProcess api, String token, List<String> hosts, String command)
            throws InterruptedException {
        String jobId = given().baseUri(api.baseUrl())
                .auth()
                .oauth2(token)
                .contentType(ContentType.JSON)
                .body(Map.of(
                        "kind",
                        "exec",
                        "targets",
                        Map.of("hosts", hosts),
                        "command",
                        command,
                        "parallelism",
                        hosts.size()))
                .post("/api/v1/jobs")
                .then()
                .statusCode(202)
                .extract()
                .path("id");
        long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
        while (System.nanoTime() < deadline) {
            for (ConsumerRecord<String, String> r : jobEvents.getRecords()) {
                if (jobId.equals(r.key()) && r.value().contains("\"finished\"")) {
                    if (!r.value().contains("SUCCEEDED")) {
                        throw new IllegalStateException("benchmark job " + jobId + " ended: " + r.value());
                    }
                    return;
                }
            }
            Thread.sleep(2);
        }
        throw new IllegalStateException("benchmark job " + jobId + " did not finish");
    }

    private static Map<String, String> env(Map<String, String> config, String role, String workerId) {
        Map<String, String> env = DispatchProcess.env(config, role, workerId);
        env.put("DISPATCH_INTAKE_MAX_PARALLELISM", "1000");
        env.put("QUARKUS_LOG_LEVEL", "WARN");
        return env;
    }

    private static long cpuMillis(long... pids) throws Exception {
        long ticks = 0;
        for (long pid : pids) {
            String[] stat = Files.readString(Path.of("/proc/" + pid + "/stat"))
                    .split("\\) ")[1]
                    .split(" ");
            ticks += Long.parseLong(stat[11]) + Long.parseLong(stat[12]);
        }
        return ticks * 10;
    }

    /** dispatch_ssh_pool_sessions of a process, from its management port. */
    private static double poolSessions(DispatchProcess process) {
        String metrics = given().baseUri(process.managementUrl())
                .get("/q/metrics")
                .then()
                .statusCode(200)
                .extract()
                .asString();
        Matcher m = Pattern.compile("(?m)^dispatch_ssh_pool_sessions(?:\\{[^}]*})? (\\S+)$")
                .matcher(metrics);
        return m.find() ? Double.parseDouble(m.group(1)) : -1;
    }

    private static long percentile(List<Long> values, int p) {
        if (values.isEmpty()) {
            return -1;
        }
        List<Long> sorted = values.stream().sorted().toList();
        return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p / 100.0 * sorted.size()) - 1));
    }
}
