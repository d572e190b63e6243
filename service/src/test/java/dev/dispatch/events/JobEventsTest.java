package dev.dispatch.events;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dispatch.testing.Fleet;
import dev.dispatch.testing.Jobs;
import dev.dispatch.testing.Management;
import dev.dispatch.testing.OpenSshHosts;
import dev.dispatch.testing.Tenants;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

@QuarkusTest
class JobEventsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newHttpClient();

    record Event(String name, String id, JsonNode data) {
        String host() {
            return data.path("host").asText();
        }
    }

    @Test
    void streamsRunsAndTheirOutputLiveAndEndsAfterTheJob() throws Exception {
        Tenants tenant = Tenants.fresh();
        List<OpenSshHosts.Host> hosts = Fleet.get().hosts().subList(9, 11);
        tenant.registerHosts(hosts, Fleet.get().userPrivateKey());
        String jobId = Jobs.submit(
                tenant,
                Map.of(
                        "kind",
                        "exec",
                        "targets",
                        Map.of(
                                "hosts",
                                hosts.stream().map(OpenSshHosts.Host::name).toList()),
                        "command",
                        "sleep 1; echo a; sleep 1; echo b"));

        HttpResponse<Stream<String>> response = open(tenant.token("dispatch-viewer"), jobId);
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("content-type").orElse("")).startsWith("text/event-stream");
        List<Event> events = readAll(response);

        assertThat(events.getLast().name()).isEqualTo("job-finished");
        assertThat(events.getLast().data().path("state").asText()).isEqualTo("SUCCEEDED");
        assertThat(events.getLast().data().at("/summary/SUCCEEDED").asInt()).isEqualTo(2);
        for (OpenSshHosts.Host h : hosts) {
            List<Event> mine =
                    events.stream().filter(e -> h.name().equals(e.host())).toList();
            List<String> names = mine.stream().map(Event::name).toList();
            assertThat(names).containsOnlyOnce("run-started", "run-finished");
            assertThat(names.getFirst()).isEqualTo("run-started");
            assertThat(names.getLast()).isEqualTo("run-finished");
            String text = String.join(
                    "",
                    mine.stream()
                            .filter(e -> e.name().equals("output"))
                            .map(e -> e.data().path("text").asText())
                            .toList());
            assertThat(text).isEqualTo("a\nb\n");
            assertThat(mine.stream().filter(e -> e.name().equals("output")))
                    .allMatch(e -> !e.data().has("replay")
                            && e.data().path("stream").asText().equals("stdout"));
            JsonNode finished = mine.getLast().data();
            assertThat(finished.path("state").asText()).isEqualTo("SUCCEEDED");
            assertThat(finished.path("exitCode").asInt()).isZero();
            assertThat(finished.path("stdoutBytes").asInt()).isEqualTo(4);
        }
        assertThat(events.stream().map(Event::id).distinct().count()).isEqualTo(events.size());
    }

    @Test
    void lateSubscriberGetsTheHistoryAndTheStreamEnds() throws Exception {
        Tenants tenant = Tenants.fresh();
        List<OpenSshHosts.Host> hosts = Fleet.get().hosts().subList(11, 13);
        tenant.registerHosts(hosts, Fleet.get().userPrivateKey());
        String jobId = Jobs.submit(
                tenant,
                Map.of(
                        "kind",
                        "exec",
                        "targets",
                        Map.of(
                                "hosts",
                                hosts.stream().map(OpenSshHosts.Host::name).toList()),
                        "command",
                        "echo a; echo oops >&2; echo b"));
        Jobs.awaitFinished(tenant, jobId);

        List<Event> events = readAll(open(tenant.token("dispatch-viewer"), jobId));

        assertThat(events.stream().map(Event::name).toList())
                .containsExactly(
                        "run-started",
                        "output",
                        "output",
                        "run-finished",
                        "run-started",
                        "output",
                        "output",
                        "run-finished",
                        "job-finished");
        for (OpenSshHosts.Host h : hosts) {
            List<Event> mine =
                    events.stream().filter(e -> h.name().equals(e.host())).toList();
            assertThat(mine.get(1).data().path("stream").asText()).isEqualTo("stdout");
            assertThat(mine.get(1).data().path("text").asText()).isEqualTo("a\nb\n");
            assertThat(mine.get(1).data().path("replay").asBoolean()).isTrue();
            assertThat(mine.get(2).data().path("stream").asText()).isEqualTo("stderr");
            assertThat(mine.get(2).data().path("text").asText()).isEqualTo("oops\n");
            assertThat(mine.get(3).data().path("state").asText()).isEqualTo("SUCCEEDED");
        }
        assertThat(events.getLast().data().path("state").asText()).isEqualTo("SUCCEEDED");
    }

    @Test
    void subscriberJoiningMidRunGetsEachRunOnceThenLiveOutput() throws Exception {
        Tenants tenant = Tenants.fresh();
        OpenSshHosts.Host host = Fleet.get().hosts().get(14);
        tenant.registerHosts(List.of(host), Fleet.get().userPrivateKey());
        String jobId = Jobs.submit(
                tenant,
                Map.of(
                        "kind",
                        "exec",
                        "targets",
                        Map.of("hosts", List.of(host.name())),
                        "command",
                        "echo a; sleep 3; echo b"));
        await().atMost(Duration.ofSeconds(30))
                .until(() -> "RUNNING".equals(Jobs.onlyRun(tenant, jobId).get("state")));

        List<Event> events = readAll(open(tenant.token("dispatch-viewer"), jobId));

        assertThat(events.stream()
                        .map(Event::name)
                        .filter(n -> !n.equals("output"))
                        .toList())
                .containsExactly("run-started", "run-finished", "job-finished");
        assertThat(events.stream()
                        .filter(e -> e.name().equals("output"))
                        .map(e -> e.data().path("text").asText()))
                .contains("b\n")
                .doesNotContain("a\nb\n");
        assertThat(events.get(events.size() - 2).data().path("state").asText()).isEqualTo("SUCCEEDED");
    }

    @Test
    void idleStreamGetsKeepAlivesAndDisconnectedSubscriberIsForgotten() throws Exception {
        Tenants tenant = Tenants.fresh();
        OpenSshHosts.Host host = Fleet.get().hosts().get(15);
        tenant.registerHosts(List.of(host), Fleet.get().userPrivateKey());
        String jobId = Jobs.submit(
                tenant,
                Map.of("kind", "exec", "targets", Map.of("hosts", List.of(host.name())), "command", "sleep 30"));
        double before = openStreams();

        HttpResponse<Stream<String>> response = open(tenant.token("dispatch-viewer"), jobId);
        assertThat(response.statusCode()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(10)).until(() -> openStreams() == before + 1);
        var lines = response.body().iterator();
        String comment = CompletableFuture.supplyAsync(() -> {
                    String line;
                    do {
                        line = lines.next();
                    } while (!line.startsWith(":"));
                    return line;
                })
                .get(10, TimeUnit.SECONDS);
        assertThat(comment).contains("keep-alive");
        response.body().close();

        await().atMost(Duration.ofSeconds(10)).until(() -> openStreams() == before);
        given().auth()
                .oauth2(tenant.token("dispatch-operator"))
                .post("/api/v1/jobs/" + jobId + "/cancel")
                .then()
                .statusCode(202);
    }

    /** The test profile allows 4 streams per job (dispatch.events.max-subscribers-per-job); before, any number. */
    @Test
    void oneStreamMoreThanTheJobsLimitIsRefusedUntilOneCloses() throws Exception {
        Tenants tenant = Tenants.fresh();
        OpenSshHosts.Host host = Fleet.get().hosts().get(16);
        tenant.registerHosts(List.of(host), Fleet.get().userPrivateKey());
        String jobId = Jobs.submit(
                tenant,
                Map.of("kind", "exec", "targets", Map.of("hosts", List.of(host.name())), "command", "sleep 30"));
        List<HttpResponse<Stream<String>>> streams = new ArrayList<>();
        try {
            for (int i = 0; i < 4; i++) {
                streams.add(open(tenant.token("dispatch-viewer"), jobId));
                assertThat(streams.get(i).statusCode()).isEqualTo(200);
            }
            HttpResponse<Stream<String>> refused = open(tenant.token("dispatch-viewer"), jobId);
            assertThat(refused.statusCode()).isEqualTo(429);
            assertThat(refused.headers().firstValue("content-type").orElse("")).startsWith("application/problem+json");
            assertThat(String.join("\n", refused.body().toList()))
                    .contains("https://dispatch.dev/problems/too-many-subscribers")
                    .contains("dispatch.events.max-subscribers-per-job = 4");
            streams.remove(0).body().close();
            await().atMost(Duration.ofSeconds(10)).until(() -> {
                HttpResponse<Stream<String>> again = open(tenant.token("dispatch-viewer"), jobId);
                if (again.statusCode() == 200) {
                    streams.add(again);
                    return true;
                }
                again.body().close();
                return false;
            });
        } finally {
            streams.forEach(s -> s.body().close());
            given().auth().oauth2(tenant.token("dispatch-operator")).post("/api/v1/jobs/" + jobId + "/cancel");
        }
    }

    private static double openStreams() {
        Matcher m = Pattern.compile("(?m)^dispatch_event_subscribers(?:\\{[^}]*})? (\\S+)$")
                .matcher(Management.request()
                        .get("/q/metrics")
                        .then()
                        .statusCode(200)
                        .extract()
                        .asString());
        return m.find() ? Double.parseDouble(m.group(1)) : 0;
    }

    @Test
    void anotherTenantsJobIsNotFound() throws Exception {
        Tenants tenant = Tenants.fresh();
        OpenSshHosts.Host host = Fleet.get().hosts().get(13);
        tenant.registerHosts(List.of(host), Fleet.get().userPrivateKey());
        String jobId = Jobs.submit(tenant, Map.of("kind", "ping", "targets", Map.of("hosts", List.of(host.name()))));

        HttpResponse<Stream<String>> response = open(Tenants.fresh().token("dispatch-viewer"), jobId);

        assertThat(response.statusCode()).isEqualTo(404);
        assertThat(response.headers().firstValue("content-type").orElse("")).startsWith("application/problem+json");
        assertThat(String.join("\n", response.body().toList())).contains("https://dispatch.dev/problems/not-found");
    }

    private HttpResponse<Stream<String>> open(String token, String jobId) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(
                        URI.create("http://localhost:" + RestAssured.port + "/api/v1/jobs/" + jobId + "/events"))
                .header("Authorization", "Bearer " + token)
                .header("Accept", "text/event-stream")
                .timeout(Duration.ofSeconds(30))
                .GET()
                .build();
        return http.send(request, HttpResponse.BodyHandlers.ofLines());
    }

    private static List<Event> readAll(HttpResponse<Stream<String>> response) throws Exception {
        return CompletableFuture.supplyAsync(() -> parse(response.body())).get(60, TimeUnit.SECONDS);
    }

    private static List<Event> parse(Stream<String> lines) {
        List<Event> events = new ArrayList<>();
        String[] current = new String[3];
        StringBuilder data = new StringBuilder();
        lines.forEach(line -> {
            if (line.isEmpty()) {
                if (current[0] != null || !data.isEmpty()) {
                    try {
                        events.add(new Event(current[0], current[1], JSON.readTree(data.toString())));
                    } catch (Exception e) {
                        throw new AssertionError("not JSON: " + data, e);
                    }
                }
                current[0] = null;
                current[1] = null;
                data.setLength(0);
                return;
            }
            int colon = line.indexOf(':');
            String field = colon < 0 ? line : line.substring(0, colon);
            String value = colon < 0 ? "" : line.substring(colon + 1).replaceFirst("^ ", "");
            switch (field) {
                case "event" -> current[0] = value;
                case "id" -> current[1] = value;
                case "data" -> data.append(data.isEmpty() ? "" : "\n").append(value);
                case "" -> {}
                default -> throw new AssertionError("unexpected SSE field line: " + line);
            }
        });
        return events;
    }
}
