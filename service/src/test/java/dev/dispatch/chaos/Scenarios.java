package dev.dispatch.chaos;

import static dev.dispatch.chaos.Cluster.await;
import static dev.dispatch.chaos.Cluster.sleep;

import dev.dispatch.chaos.TopicRecorder.Rec;
import dev.dispatch.messaging.Topics;
import dev.dispatch.testing.DispatchProcess;
import dev.dispatch.testing.OpenSshHosts;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The fault scenarios. Each acts on the real processes of a {@link Cluster} and returns one {@link Row} whose
 * facts are exact: what reached Kafka (counted per job, host and attempt, duplicates apart), what PostgreSQL says,
 * and what ran on the hosts.
 */
final class Scenarios {
    private final Cluster c;

    Scenarios(Cluster cluster) {
        this.c = cluster;
    }

    /** Distinct keys of matching records, how many records repeated one, and when the last distinct key arrived. */
    record Count(int unique, int duplicates, long lastNewNanos) {}

    private Count count(String topic, Set<String> jobs, Predicate<Rec> filter, Function<Rec, String> key) {
        Set<String> seen = new HashSet<>();
        int dup = 0;
        long last = 0;
        for (Rec r :
                c.topics.of(topic, r -> r.text("jobId") != null && jobs.contains(r.text("jobId")) && filter.test(r))) {
            if (seen.add(key.apply(r))) {
                last = Math.max(last, r.seenNanos());
            } else {
                dup++;
            }
        }
        return new Count(seen.size(), dup, last);
    }

    private Count results(Set<String> jobs) {
        return count(
                Topics.HOST_RESULTS,
                jobs,
                r -> true,
                r -> r.text("jobId") + "/" + r.text("host") + "/" + r.text("attempt"));
    }

    private Count finished(Set<String> jobs) {
        return count(Topics.JOB_EVENTS, jobs, r -> "finished".equals(r.text("type")), r -> r.text("jobId"));
    }

    private Count eofs(Set<String> jobs) {
        return count(
                Topics.OUTPUT,
                jobs,
                r -> "true".equals(r.text("eof")),
                r -> r.text("jobId") + "/" + r.text("host") + "/" + r.text("attempt") + "/" + r.text("stream"));
    }

    private Count chunks(Set<String> jobs) {
        return count(
                Topics.OUTPUT,
                jobs,
                r -> true,
                r -> r.text("jobId") + "/" + r.text("host") + "/" + r.text("attempt") + "/" + r.text("seq"));
    }

    /** Chunks missing from the middle of a run's sequence (seq counts from 0 per run across both streams). */
    private int chunkGaps(Set<String> jobs) {
        Map<String, Set<Long>> seqs = new HashMap<>();
        for (Rec r : c.topics.of(Topics.OUTPUT, r -> r.text("jobId") != null && jobs.contains(r.text("jobId")))) {
            seqs.computeIfAbsent(r.text("jobId") + "/" + r.text("host") + "/" + r.text("attempt"), k -> new HashSet<>())
                    .add(Long.parseLong(r.text("seq")));
        }
        int gaps = 0;
        for (Set<Long> s : seqs.values()) {
            gaps += (int) (s.stream().mapToLong(Long::longValue).max().orElse(-1) + 1 - s.size());
        }
        return gaps;
    }

    private static double since(long t0) {
        return (System.nanoTime() - t0) / 1e9;
    }

    private static String secs(double s) {
        return String.format("%.1f s", s);
    }

    /** Waits for the job's hosts to be RUNNING (all of them, or the timeout). */
    private boolean awaitRunning(String job, int n) {
        return await(Duration.ofSeconds(60), () -> c.runsIn(job, "RUNNING") == n);
    }

    /** The worker slot whose process holds most of the job's RUNNING runs. */
    private int busiestWorker(String job) {
        Map<String, Long> held = c.runs(job).stream()
                .filter(r -> "RUNNING".equals(r.get("state")))
                .collect(Collectors.groupingBy(r -> String.valueOf(r.get("claimed_by")), Collectors.counting()));
        return held.getOrDefault(c.workerIds[0], 0L) > held.getOrDefault(c.workerIds[1], 0L) ? 0 : 1;
    }

    /** Kafka-side facts every job scenario promises: results, finished events and eof chunks, none lost or doubled. */
    private void kafkaFacts(Row row, Set<String> jobs, int results, int eofs, long t0) {
        Count r = results(jobs);
        Count f = finished(jobs);
        Count e = eofs(jobs);
        Count ch = chunks(jobs);
        int gaps = chunkGaps(jobs);
        row.fact("host results", results, r.unique())
                .fact("finished events", jobs.size(), f.unique())
                .fact("eof chunks", eofs, e.unique())
                .fact("chunks missing mid-run", 0, gaps);
        row.lost = String.format(
                "results %d, events %d, eof %d, chunks %d",
                results - r.unique(), jobs.size() - f.unique(), eofs - e.unique(), gaps);
        row.duplicated =
                String.format("results %d, events %d, chunks %d", r.duplicates(), f.duplicates(), ch.duplicates());
        boolean complete = r.unique() == results && f.unique() == jobs.size() && e.unique() == eofs;
        long last = Math.max(r.lastNewNanos(), Math.max(f.lastNewNanos(), e.lastNewNanos()));
        List<Map<String, Object>> runs = c.query(
                "select state, exit_code, error from host_run" + " where job_id::text = any(string_to_array(?, ','))",
                String.join(",", jobs));
        Map<String, Long> states = runs.stream()
                .collect(Collectors.groupingBy(run -> (String) run.get("state"), TreeMap::new, Collectors.counting()));
        String sample = runs.stream()
                .filter(run -> !"SUCCEEDED".equals(run.get("state")))
                .findFirst()
                .map(run -> "; e.g. " + run.get("state") + " exit " + run.get("exit_code") + ": " + run.get("error"))
                .orElse("");
        Object pending = c.query("select count(*) as n from outbox").get(0).get("n");
        row.note(
                "%s: runs in PostgreSQL %s%s; outbox rows still unpublished: %s",
                row.scenario.substring(0, 2), states, sample, pending);
        row.note(
                "%s Kafka complete %s",
                row.scenario.substring(0, 2),
                complete
                        ? secs((last - t0) / 1e9) + " after the fault (or submit)"
                        : "never (waited " + secs(since(t0)) + ")");
    }

    /** Waits until Kafka holds everything the jobs should have produced, at most {@code timeout}, then 2 s more. */
    private void awaitKafka(Set<String> jobs, int results, int eofs, Duration timeout) {
        await(
                timeout,
                () -> results(jobs).unique() == results
                        && finished(jobs).unique() == jobs.size()
                        && eofs(jobs).unique() == eofs);
        sleep(2000); // late duplicates
    }

    private long countIn(Set<String> jobs, String state) {
        return c.query(
                                        "select count(*) as n from host_run where job_id::text = any(string_to_array(?, ','))"
                                                + " and state = ?",
                                        String.join(",", jobs),
                                        state)
                                .get(0)
                                .get("n")
                        instanceof Number n
                ? n.longValue()
                : -1;
    }

    Row finishes() throws Exception {
        int jobs = 15;
        Row row = new Row("1. 600 concurrent finishes (15 jobs × 40 hosts, `echo ok`)");
        long t0 = System.nanoTime();
        List<Callable<String>> submits = new ArrayList<>();
        for (int i = 0; i < jobs; i++) {
            submits.add(() -> c.submit(c.hosts, "echo ok"));
        }
        Set<String> ids = new HashSet<>(Cluster.concurrently(submits));
        boolean done = await(
                Duration.ofSeconds(180), () -> ids.stream().allMatch(j -> Cluster.TERMINAL.contains(c.jobState(j))));
        double jobsDone = since(t0);
        int runs = jobs * Cluster.HOSTS;
        awaitKafka(ids, runs, 2 * runs, Duration.ofSeconds(30));
        row.fact("runs SUCCEEDED in PostgreSQL", runs, countIn(ids, "SUCCEEDED"));
        kafkaFacts(row, ids, runs, 2 * runs, t0);
        row.recovery = done ? "all jobs ended " + secs(jobsDone) + " after submit" : "jobs not ended after 180 s";
        return row;
    }

    Row brokerDown() throws Exception {
        Row row = new Row("2. Kafka broker stopped 15 s mid-job (40 hosts, `sleep 5; echo ok`)");
        String job = c.submit(c.hosts, "sleep 5; echo ok");
        if (!awaitRunning(job, Cluster.HOSTS)) {
            row.note("not all runs were RUNNING when the broker was stopped");
        }
        long stopAt = System.nanoTime();
        try {
            c.kafka.stop();
            row.note("broker stop took %s", secs(since(stopAt)));
            sleep(15_000);
        } finally {
            c.kafka.start();
        }
        long up = System.nanoTime();
        String state = c.awaitTerminal(job, Duration.ofSeconds(120));
        awaitKafka(Set.of(job), Cluster.HOSTS, 2 * Cluster.HOSTS, Duration.ofSeconds(60));
        row.fact("job", "SUCCEEDED", state).fact("runs SUCCEEDED", Cluster.HOSTS, c.runsIn(job, "SUCCEEDED"));
        kafkaFacts(row, Set.of(job), Cluster.HOSTS, 2 * Cluster.HOSTS, up);
        row.recovery = "job ended " + secs(since(up) - 2) + " after the broker was back";
        return row;
    }

    Row pgRestart() throws Exception {
        Row row = new Row("3. PostgreSQL restarted (`pg_ctl restart -m fast`) mid-job (40 hosts, `sleep 8; echo ok`)");
        String job = c.submit(c.hosts, "sleep 8; echo ok");
        if (!awaitRunning(job, Cluster.HOSTS)) {
            row.note("not all runs were RUNNING when PostgreSQL was restarted");
        }
        sleep(2000);
        Duration restart = c.pg.restart();
        long up = System.nanoTime();
        String state = c.awaitTerminal(job, Duration.ofSeconds(90));
        double ended = since(up);
        awaitKafka(Set.of(job), Cluster.HOSTS, 2 * Cluster.HOSTS, Duration.ofSeconds(30));
        // The api sat idle through the restart: its pooled connections must not fail requests afterwards (40 reads
        // also flush every stale connection, so that later scenarios are not hit by this one's damage).
        long failed = 0;
        for (int i = 0; i < 40; i++) {
            failed += c.getStatus("/api/v1/jobs/" + job) == 200 ? 0 : 1;
        }
        row.fact("runs LOST", 0, c.runsIn(job, "LOST"))
                .fact("runs SUCCEEDED", Cluster.HOSTS, c.runsIn(job, "SUCCEEDED"))
                .fact("job", "SUCCEEDED", state)
                .fact("api errors in 40 GET /jobs/{id} after the restart", 0, failed);
        kafkaFacts(row, Set.of(job), Cluster.HOSTS, 2 * Cluster.HOSTS, up);
        row.recovery = "restart took " + secs(restart.toMillis() / 1000.0) + "; job ended " + secs(ended) + " after";
        c.runs(job).stream()
                .filter(r -> !"SUCCEEDED".equals(r.get("state")))
                .limit(3)
                .forEach(r -> row.note("pg-restart: %s %s: %s", r.get("host_name"), r.get("state"), r.get("error")));
        return row;
    }

    Row kill9() throws Exception {
        Row row = new Row("4. a worker killed with `kill -9` mid-job (2 jobs × 20 hosts, `sleep 20`, no retries)");
        Path markers = Files.createDirectories(c.work.resolve("markers-" + System.nanoTime()));
        String command = "echo $$ >> " + markers + "/$(echo $SSH_CONNECTION | cut -d' ' -f3); sleep 20";
        int half = Cluster.HOSTS / 2;
        // One job per worker, so that both hold runs when one dies (left alone, the first to poll may take all).
        String kept = submitTo(0, c.hosts.subList(0, half), command);
        String doomed = submitTo(1, c.hosts.subList(half, Cluster.HOSTS), command);
        if (!await(Duration.ofSeconds(30), () -> markerFiles(markers) == Cluster.HOSTS)) {
            row.note("kill-9: not all 40 commands had started when the worker was killed");
        }
        String victimId = c.workerIds[1];
        long held = c.runs(doomed).stream()
                .filter(r -> victimId.equals(r.get("claimed_by")) && "RUNNING".equals(r.get("state")))
                .count();
        long killed = System.nanoTime();
        c.workers[1].kill9();
        boolean lost = await(Duration.ofSeconds(60), () -> c.runsIn(doomed, "LOST") == half);
        double lostAfter = since(killed);
        String keptState = c.awaitTerminal(kept, Duration.ofSeconds(60));
        String doomedState = c.awaitTerminal(doomed, Duration.ofSeconds(30));
        Set<String> jobs = Set.of(kept, doomed);
        awaitKafka(jobs, Cluster.HOSTS, 2 * half, Duration.ofSeconds(30));
        double bound = Cluster.LEASE.toSeconds() + Cluster.REAPER.toSeconds();
        Map<String, Integer> executions = executions(markers);
        int total = executions.values().stream().mapToInt(Integer::intValue).sum();
        int twice =
                executions.values().stream().mapToInt(n -> Math.max(0, n - 1)).sum();
        row.fact("runs of the killed worker LOST", half, c.runsIn(doomed, "LOST"))
                .fact(
                        "LOST within lease + reaper (" + (int) bound + " s)",
                        "all",
                        lost && lostAfter <= bound ? "all" : lost ? "after " + secs(lostAfter) : "not all")
                .fact("runs of the other worker SUCCEEDED", half, c.runsIn(kept, "SUCCEEDED"))
                .fact("remote executions (1 per host)", Cluster.HOSTS, total);
        kafkaFacts(row, jobs, Cluster.HOSTS, 2 * half, killed);
        row.duplicated += ", executions " + twice;
        row.recovery = lost ? "runs LOST " + secs(lostAfter) + " after the kill" : "runs not LOST after 60 s";
        row.note(
                "kill-9: killed %s holding %d runs; its job %s, the other worker's job %s",
                victimId, held, doomedState, keptState);
        return row;
    }

    /**
     * Submits a job only worker {@code slot} can claim: the other worker is paused (SIGSTOP, a few seconds, well
     * inside its lease) until every run of the job is RUNNING.
     */
    private String submitTo(int slot, List<String> targets, String command) throws Exception {
        long other = c.workers[1 - slot].pid();
        signal("STOP", other);
        try {
            String job = c.submit(targets, command);
            if (!awaitRunning(job, targets.size())) {
                throw new IllegalStateException("worker " + c.workerIds[slot] + " did not start job " + job);
            }
            return job;
        } finally {
            signal("CONT", other);
        }
    }

    private static void signal(String name, long pid) throws Exception {
        if (new ProcessBuilder("kill", "-" + name, Long.toString(pid))
                        .inheritIO()
                        .start()
                        .waitFor()
                != 0) {
            throw new IllegalStateException("kill -" + name + " " + pid + " failed");
        }
    }

    private static long markerFiles(Path dir) {
        try (var files = Files.list(dir)) {
            return files.count();
        } catch (Exception e) {
            return -1;
        }
    }

    private Map<String, Integer> executions(Path dir) throws Exception {
        sleep(1000);
        Map<String, Integer> lines = new TreeMap<>();
        for (OpenSshHosts.Host h : c.fleet.hosts()) {
            Path file = dir.resolve(h.address());
            lines.put(h.name(), Files.exists(file) ? Files.readAllLines(file).size() : 0);
        }
        return lines;
    }

    Row poison() throws Exception {
        int bad = 1000;
        Row row = new Row("5. poison intake: 1,000 bad messages (bad JSON, NUL in command, no token), then a good one");
        String nonce = Long.toString(System.nanoTime(), 36);
        String prefix = "chaos-poison-" + nonce + "-";
        String goodKey = prefix + "good";
        String host = c.hosts.get(0);
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, c.config.get("kafka.bootstrap.servers"));
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        byte[] auth = ("Bearer " + c.token).getBytes(StandardCharsets.UTF_8);
        long t0 = System.nanoTime();
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(props)) {
            // NUL commands last: the kinds the intake already handles show its throughput before any stall.
            for (int i = 0; i < bad; i++) {
                int kind = i < 2 * bad / 3 ? i % 2 : 2;
                String body = switch (kind) {
                    case 0 -> "{\"kind\":\"exec\",\"targets\":{\"hosts\":[\"" + host + "\"]},\"command\":";
                    case 1 -> job(host, "true", prefix + i);
                    default -> job(host, "echo \\u0000 nul", prefix + i);
                };
                var record = new ProducerRecord<String, byte[]>(
                        Topics.JOB_REQUESTS, prefix + i, body.getBytes(StandardCharsets.UTF_8));
                if (kind != 1) {
                    record.headers().add("authorization", auth);
                }
                producer.send(record);
            }
            var good = new ProducerRecord<String, byte[]>(
                    Topics.JOB_REQUESTS, goodKey, job(host, "true", goodKey).getBytes(StandardCharsets.UTF_8));
            good.headers().add("authorization", auth);
            producer.send(good);
            producer.flush();
        }
        long sent = System.nanoTime();
        long[] accepted = {0};
        long[] lastProgress = {System.nanoTime()};
        int[] lastCount = {0};
        await(Duration.ofSeconds(150), () -> {
            int n = deadLetters(prefix).size();
            if (n != lastCount[0]) {
                lastCount[0] = n;
                lastProgress[0] = System.nanoTime();
            }
            if (accepted[0] == 0
                    && !c.query("select 1 from job where idempotency_key = ?", goodKey)
                            .isEmpty()) {
                accepted[0] = System.nanoTime();
            }
            return (n >= bad && accepted[0] != 0) || System.nanoTime() - lastProgress[0] > 20e9;
        });
        sleep(2000);
        List<Rec> dlq = deadLetters(prefix);
        Set<String> distinct = dlq.stream().map(Rec::key).collect(Collectors.toSet());
        long lastDead = dlq.stream().mapToLong(Rec::seenNanos).max().orElse(t0);
        long withAuth = dlq.stream()
                .filter(r -> r.headers().containsKey("authorization"))
                .count();
        double after = accepted[0] == 0 ? -1 : (accepted[0] - lastDead) / 1e9;
        row.fact("dead letters", bad, distinct.size())
                .fact(
                        "good job accepted ≤ 5 s after the last dead letter",
                        "yes",
                        accepted[0] == 0 ? "no (not accepted)" : after <= 5 ? "yes" : "no (" + secs(after) + " after)")
                .fact("dead letters carrying the authorization header", 0, withAuth);
        row.lost = "dead letters " + (bad - distinct.size());
        row.duplicated = "dead letters " + (dlq.size() - distinct.size());
        double span = (lastDead - t0) / 1e9;
        row.recovery = accepted[0] == 0
                ? "good job not accepted (gave up " + secs(since(sent)) + " after sending)"
                : "good job accepted " + secs((accepted[0] - sent) / 1e9) + " after it was sent";
        Map<String, Long> types = dlq.stream()
                .collect(Collectors.groupingBy(
                        r -> String.valueOf(r.headers().get("dispatch-error-type")),
                        TreeMap::new,
                        Collectors.counting()));
        row.note(
                "poison: %d dead letters in %s = %.0f messages/s; types %s",
                distinct.size(), secs(span), span > 0 ? distinct.size() / span : 0, types);
        return row;
    }

    private static String job(String host, String commandJson, String idempotencyKey) {
        return "{\"kind\":\"exec\",\"targets\":{\"hosts\":[\"" + host + "\"]},\"command\":\"" + commandJson
                + "\",\"idempotencyKey\":\"" + idempotencyKey + "\"}";
    }

    private List<Rec> deadLetters(String prefix) {
        return c.topics.of(
                Topics.JOB_REQUESTS_DLQ, r -> r.key() != null && r.key().startsWith(prefix));
    }

    Row cancel() throws Exception {
        Row row = new Row("6. cancel of `sleep 600` on 2 hosts (login " + c.fleet.user() + ", no PTY)");
        String marker = "600." + ThreadLocalRandom.current().nextInt(100_000, 999_999);
        List<String> targets = c.hosts.subList(c.hosts.size() - 2, c.hosts.size());
        String job = c.submit(targets, "sleep " + marker + "; echo done");
        if (!awaitRunning(job, 2)
                || !await(Duration.ofSeconds(20), () -> sleepers(marker).size() == 2)) {
            row.note("cancel: the two sleeps were not both running before the cancel");
        }
        long t0 = System.nanoTime();
        String answered = c.cancel(job);
        double answer = since(t0);
        boolean goneIn3 = await(
                Duration.ofMillis(3000 - (long) (answer * 1000)),
                () -> processes(marker).isEmpty());
        int leftAt3 = processes(marker).size();
        boolean gone =
                goneIn3 || await(Duration.ofSeconds(10), () -> processes(marker).isEmpty());
        double goneAfter = since(t0);
        String state = c.awaitTerminal(job, Duration.ofSeconds(10));
        await(Duration.ofSeconds(10), () -> results(Set.of(job)).unique() == 2);
        row.fact("job", "CANCELLED", state)
                .fact("runs CANCELLED", 2, c.runsIn(job, "CANCELLED"))
                .fact("host results", 2, results(Set.of(job)).unique())
                .fact("processes of the job left 3 s after cancel", 0, leftAt3);
        row.lost = "results " + (2 - results(Set.of(job)).unique());
        row.duplicated = "results " + results(Set.of(job)).duplicates();
        row.recovery = gone
                ? "remote processes gone " + secs(goneAfter) + " after cancel"
                : processes(marker).size() + " remote processes still there " + secs(goneAfter) + " after cancel";
        row.note("cancel: REST answered %s in %s", answered, secs(answer));
        for (long pid : processes(marker)) {
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly); // ours: started by this scenario
        }
        return row;
    }

    /** The {@code sleep <marker>} processes on this machine (the hosts are loopback sshds here). */
    private static List<Long> sleepers(String marker) {
        return matching(marker, true);
    }

    /** Every process whose command line names the marker: the login shell and its sleep. */
    private static List<Long> processes(String marker) {
        return matching(marker, false);
    }

    private static List<Long> matching(String marker, boolean sleepOnly) {
        List<Long> pids = new ArrayList<>();
        long self = ProcessHandle.current().pid();
        try (var dirs = Files.list(Path.of("/proc"))) {
            for (Path d :
                    dirs.filter(p -> p.getFileName().toString().matches("\\d+")).toList()) {
                try {
                    String cmd = new String(Files.readAllBytes(d.resolve("cmdline")), StandardCharsets.UTF_8)
                            .replace('\0', ' ')
                            .strip();
                    long pid = Long.parseLong(d.getFileName().toString());
                    if (pid != self && cmd.contains(marker) && (!sleepOnly || cmd.equals("sleep " + marker))) {
                        pids.add(pid);
                    }
                } catch (Exception gone) {
                    // exited while we looked
                }
            }
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        return pids;
    }

    Row sigterm() throws Exception {
        Row row = new Row("7. SIGTERM to a worker mid-job (40 hosts, `sleep 5; echo ok`)");
        String job = c.submit(c.hosts, "sleep 5; echo ok");
        if (!awaitRunning(job, Cluster.HOSTS)) {
            row.note("sigterm: not all runs were RUNNING at SIGTERM");
        }
        int victim = busiestWorker(job);
        String victimId = c.workerIds[victim];
        long held = c.runs(job).stream()
                .filter(r -> victimId.equals(r.get("claimed_by")))
                .count();
        DispatchProcess worker = c.workers[victim];
        long t0 = System.nanoTime();
        worker.close();
        double exited = since(t0);
        String state = c.awaitTerminal(job, Duration.ofSeconds(90));
        awaitKafka(Set.of(job), Cluster.HOSTS, 2 * Cluster.HOSTS, Duration.ofSeconds(30));
        row.fact("runs SUCCEEDED", Cluster.HOSTS, c.runsIn(job, "SUCCEEDED"))
                .fact("runs LOST", 0, c.runsIn(job, "LOST"))
                .fact("job", "SUCCEEDED", state);
        kafkaFacts(row, Set.of(job), Cluster.HOSTS, 2 * Cluster.HOSTS, t0);
        row.recovery = "worker drained and exited " + secs(exited) + " after SIGTERM";
        row.note("sigterm: stopped %s holding %d of 40 runs", victimId, held);
        return row;
    }
}
