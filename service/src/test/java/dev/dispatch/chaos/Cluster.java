package dev.dispatch.chaos;

import static io.restassured.RestAssured.given;

import dev.dispatch.testing.DispatchProcess;
import dev.dispatch.testing.OpenSshHosts;
import dev.dispatch.testing.PrivatePostgres;
import dev.dispatch.testing.TestServicesResource;
import io.restassured.http.ContentType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.BooleanSupplier;

/**
 * Everything a fault scenario acts on: a private PostgreSQL, the campaign's Kafka broker, a fleet of OpenSSH hosts,
 * one api process and two worker processes of the packaged service, plus a recorder of every topic. Workers that a
 * scenario killed are replaced (under a new worker id) by {@link #ensureWorkers()}.
 */
final class Cluster implements AutoCloseable {
    static final int HOSTS = 40;
    static final String DATABASE = "dispatch_chaos";
    static final String TENANT = "chaos";
    static final Set<String> TERMINAL = Set.of("SUCCEEDED", "FAILED", "CANCELLED");
    /** Short leases so a dead worker's runs end quickly; still far longer than a PostgreSQL restart. */
    static final Duration LEASE = Duration.ofSeconds(10);

    static final Duration REAPER = Duration.ofSeconds(1);

    final Path work;
    final PrivatePostgres pg;
    final LocalKafka kafka;
    final TopicRecorder topics;
    final OpenSshHosts fleet;
    final Map<String, String> config = new HashMap<>();
    final DispatchProcess[] workers = new DispatchProcess[2];
    final String[] workerIds = new String[2];
    private int generation;
    DispatchProcess api;
    String token;
    List<String> hosts;

    private Cluster(Path work, PrivatePostgres pg, LocalKafka kafka, TopicRecorder topics, OpenSshHosts fleet) {
        this.work = work;
        this.pg = pg;
        this.kafka = kafka;
        this.topics = topics;
        this.fleet = fleet;
    }

    static Cluster start(Path project, Path work, int pgPort, int kafkaPort) throws Exception {
        Files.createDirectories(work);
        log("starting PostgreSQL on 127.0.0.1:%d, Kafka on 127.0.0.1:%d, %d OpenSSH hosts", pgPort, kafkaPort, HOSTS);
        PrivatePostgres pg = PrivatePostgres.start(pgPort);
        LocalKafka kafka = new LocalKafka(project, project.resolve(".dispatch/chaos"), kafkaPort);
        TopicRecorder topics = null;
        OpenSshHosts fleet = null;
        Cluster c = null;
        try {
            pg.recreateDatabase(DATABASE);
            kafka.stop();
            kafka.reset();
            String bootstrap = kafka.start();
            topics = TopicRecorder.start(bootstrap);
            fleet = OpenSshHosts.start(HOSTS, work.resolve("fleet"));
            c = new Cluster(work, pg, kafka, topics, fleet);
            c.config.putAll(TestServicesResource.jwtKeys(work.resolve("jwt")));
            c.config.put("quarkus.datasource.jdbc.url", pg.jdbcUrl(DATABASE));
            c.config.put("quarkus.datasource.username", "postgres");
            c.config.put("kafka.bootstrap.servers", bootstrap);
            c.token = DispatchProcess.adminToken(c.config, TENANT, "chaos");
            log("starting the api process, then two worker processes");
            // The api migrates the schema; workers start after it so that they do not race it.
            Map<String, String> apiEnv = c.env("api", "chaos-api");
            apiEnv.put("MP_MESSAGING_INCOMING_JOB_SUBMISSIONS_ENABLED", "true");
            c.api = DispatchProcess.start("chaos-api", apiEnv);
            c.ensureWorkers();
            log("registering %d hosts", HOSTS);
            c.hosts = c.api.register(c.token, fleet);
            return c;
        } catch (Exception e) {
            if (c != null) {
                c.close();
            } else {
                for (AutoCloseable part : new AutoCloseable[] {fleet, topics}) {
                    if (part != null) {
                        part.close();
                    }
                }
                kafka.stop();
                pg.close();
            }
            throw e;
        }
    }

    /** Starts a replacement for every worker that is not running (both at once: each start takes seconds). */
    void ensureWorkers() throws Exception {
        List<Integer> missing = new ArrayList<>();
        for (int i = 0; i < workers.length; i++) {
            if (workers[i] == null
                    || !ProcessHandle.of(workers[i].pid())
                            .map(ProcessHandle::isAlive)
                            .orElse(false)) {
                missing.add(i);
            }
        }
        if (missing.isEmpty()) {
            return;
        }
        generation++;
        log("starting %d worker process(es)", missing.size());
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            Map<Integer, Future<DispatchProcess>> started = new LinkedHashMap<>();
            for (int i : missing) {
                String id = "chaos-worker-" + (char) ('a' + i) + generation;
                workerIds[i] = id;
                started.put(i, pool.submit(() -> DispatchProcess.start(id, env("worker", id))));
            }
            for (var e : started.entrySet()) {
                workers[e.getKey()] = e.getValue().get();
            }
        }
    }

    private Map<String, String> env(String role, String id) {
        Map<String, String> env = DispatchProcess.env(config, role, id);
        env.put("DISPATCH_WORKER_LEASE_TIMEOUT", LEASE.toSeconds() + "s");
        env.put("DISPATCH_WORKER_HEARTBEAT_INTERVAL", "2s");
        env.put("DISPATCH_WORKER_REAPER_INTERVAL", REAPER.toSeconds() + "s");
        env.put("DISPATCH_WORKER_POLL_INTERVAL", "100ms");
        env.put("DISPATCH_INTAKE_MAX_PARALLELISM", "1000");
        return env;
    }

    /** Submits an exec job on {@code targets} through the api's REST endpoint and returns its id. */
    String submit(List<String> targets, String command) {
        return given().baseUri(api.baseUrl())
                .auth()
                .oauth2(token)
                .contentType(ContentType.JSON)
                .body(Map.of(
                        "kind",
                        "exec",
                        "targets",
                        Map.of("hosts", targets),
                        "command",
                        command,
                        "parallelism",
                        targets.size()))
                .post("/api/v1/jobs")
                .then()
                .statusCode(202)
                .extract()
                .path("id");
    }

    /** The HTTP status of an authenticated GET on the api. */
    int getStatus(String path) {
        return given().baseUri(api.baseUrl())
                .auth()
                .oauth2(token)
                .get(path)
                .then()
                .extract()
                .statusCode();
    }

    /** POST /jobs/{id}/cancel (202); returns the job's state in the answer. */
    String cancel(String jobId) {
        return given().baseUri(api.baseUrl())
                .auth()
                .oauth2(token)
                .post("/api/v1/jobs/" + jobId + "/cancel")
                .then()
                .statusCode(202)
                .extract()
                .path("state");
    }

    /** Rows of a query against the service's database, retried while the database is unreachable (for 90 s). */
    List<Map<String, Object>> query(String sql, Object... params) {
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (true) {
            try (Connection c = DriverManager.getConnection(pg.jdbcUrl(DATABASE), "postgres", null);
                    PreparedStatement s = c.prepareStatement(sql)) {
                for (int i = 0; i < params.length; i++) {
                    s.setObject(i + 1, params[i]);
                }
                List<Map<String, Object>> rows = new ArrayList<>();
                try (ResultSet rs = s.executeQuery()) {
                    while (rs.next()) {
                        Map<String, Object> row = new LinkedHashMap<>();
                        for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++) {
                            row.put(rs.getMetaData().getColumnLabel(i), rs.getObject(i));
                        }
                        rows.add(row);
                    }
                }
                return rows;
            } catch (SQLException e) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("database unreachable: " + e.getMessage(), e);
                }
                sleep(200);
            }
        }
    }

    /** The job's state in the database. */
    String jobState(String jobId) {
        return (String)
                query("select state from job where id = ?::uuid", jobId).get(0).get("state");
    }

    /** The job's runs: host_name, state, attempt, claimed_by. */
    List<Map<String, Object>> runs(String jobId) {
        return query(
                "select host_name, state, attempt, claimed_by, error from host_run where job_id = ?::uuid"
                        + " order by host_name",
                jobId);
    }

    /** How many of the job's runs are in {@code state}. */
    long runsIn(String jobId, String state) {
        return runs(jobId).stream().filter(r -> state.equals(r.get("state"))).count();
    }

    /** Waits until the job is terminal or the timeout passes; returns its last state. */
    String awaitTerminal(String jobId, Duration timeout) {
        String[] state = new String[1];
        await(timeout, () -> TERMINAL.contains(state[0] = jobState(jobId)));
        return state[0];
    }

    /** Polls {@code condition} every 100 ms until it holds (true) or the timeout passes (false). */
    static boolean await(Duration timeout, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            if (condition.getAsBoolean()) {
                return true;
            }
            if (System.nanoTime() > deadline) {
                return false;
            }
            sleep(100);
        }
    }

    /** Runs {@code tasks} concurrently and returns their results in order. */
    static <T> List<T> concurrently(List<Callable<T>> tasks) throws Exception {
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<T>> futures = pool.invokeAll(tasks);
            List<T> results = new ArrayList<>();
            for (Future<T> f : futures) {
                results.add(f.get());
            }
            return results;
        }
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static final long STARTED = System.nanoTime();

    static void log(String format, Object... args) {
        System.out.printf("chaos [%4.0f s]: " + format + "%n", prepend((System.nanoTime() - STARTED) / 1e9, args));
        System.out.flush();
    }

    private static Object[] prepend(Object first, Object[] rest) {
        Object[] all = new Object[rest.length + 1];
        all[0] = first;
        System.arraycopy(rest, 0, all, 1, rest.length);
        return all;
    }

    @Override
    public void close() {
        for (AutoCloseable c : new AutoCloseable[] {workers[0], workers[1], api, fleet, topics}) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception e) {
                System.err.println("chaos: stopping " + c + " failed: " + e);
            }
        }
        try {
            kafka.stop();
        } catch (Exception e) {
            System.err.println("chaos: stopping Kafka failed: " + e);
        }
        pg.close();
    }
}
