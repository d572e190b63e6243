package dev.dispatch.client;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.LongConsumer;

/**
 * A client of the dispatch REST API ({@code /api/v1}). Thread-safe; one instance can serve a whole program. Every
 * method throws {@link DispatchProblemException} for an error answer and {@link DispatchConnectionException} when the
 * server cannot be reached.
 */
public final class DispatchClient {
    private static final ObjectMapper JSON =
            new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
    private static final int MAX_RECONNECTS = 10;

    private final URI base;
    private final String token;
    private final HttpClient http;
    private final Duration requestTimeout;

    private DispatchClient(Builder b) {
        String url = Objects.requireNonNull(b.baseUrl, "baseUrl");
        this.base = URI.create(url.endsWith("/") ? url : url + "/");
        this.token = b.token;
        this.requestTimeout = b.requestTimeout;
        this.http = HttpClient.newBuilder().connectTimeout(b.connectTimeout).build();
    }

    /** A builder; {@code baseUrl} is required, e.g. {@code http://127.0.0.1:8080}. */
    public static Builder builder() {
        return new Builder();
    }

    /** Settings of a {@link DispatchClient}. */
    public static final class Builder {
        private String baseUrl;
        private String token;
        private Duration connectTimeout = Duration.ofSeconds(10);
        private Duration requestTimeout = Duration.ofSeconds(60);

        private Builder() {}

        /** The server's base URL, without {@code /api/v1}. */
        public Builder baseUrl(String baseUrl) {
            this.baseUrl = baseUrl;
            return this;
        }

        /** The bearer JWT sent with every request; null sends none. */
        public Builder token(String token) {
            this.token = token;
            return this;
        }

        /** TCP connect budget. Default 10 s. */
        public Builder connectTimeout(Duration connectTimeout) {
            this.connectTimeout = connectTimeout;
            return this;
        }

        /** Budget of one ordinary request (not of an event stream). Default 60 s. */
        public Builder requestTimeout(Duration requestTimeout) {
            this.requestTimeout = requestTimeout;
            return this;
        }

        /** The client. */
        public DispatchClient build() {
            return new DispatchClient(this);
        }
    }

    /** Submits a job and answers its id ({@code POST /jobs}); a repeated idempotency key answers the first job's. */
    public String submit(JobSpec spec) {
        return submitJob(spec).id();
    }

    /** Submits a job and answers it as accepted. */
    public Job submitJob(JobSpec spec) {
        return send("POST", "api/v1/jobs", write(spec), Job.class);
    }

    /** The job ({@code GET /jobs/{id}}). */
    public Job job(String id) {
        return send("GET", "api/v1/jobs/" + encode(id), null, Job.class);
    }

    /** The job's host runs in submission order ({@code GET /jobs/{id}/runs}). */
    public List<HostRun> runs(String id) {
        return send("GET", "api/v1/jobs/" + encode(id) + "/runs", null, new TypeReference<List<HostRun>>() {});
    }

    /**
     * A page of the tenant's jobs, newest first. {@code state}, {@code label} ({@code key=value}) and {@code cursor}
     * may be null; {@code limit} is 1 to 500.
     */
    public JobPage listJobs(String state, String label, String cursor, int limit) {
        StringBuilder q = new StringBuilder("api/v1/jobs?limit=").append(limit);
        appendParam(q, "state", state);
        appendParam(q, "label", label);
        appendParam(q, "cursor", cursor);
        return send("GET", q.toString(), null, JobPage.class);
    }

    /** Cancels the job ({@code POST /jobs/{id}/cancel}); a {@code job-ended} problem (409) if it already ended. */
    public Job cancel(String id) {
        return send("POST", "api/v1/jobs/" + encode(id) + "/cancel", "", Job.class);
    }

    /**
     * The job's runs grouped by output ({@code GET /jobs/{id}/runs?groupBy=output}): largest group first, hosts in
     * submission order.
     */
    public List<OutputGroup> runsByOutput(String id) {
        return send(
                "GET",
                "api/v1/jobs/" + encode(id) + "/runs?groupBy=output",
                null,
                new TypeReference<List<OutputGroup>>() {});
    }

    /**
     * Copies a run's stored output to {@code sink} ({@code GET /jobs/{id}/runs/{host}/output}): {@code stream} is
     * {@code stdout} or {@code stderr}, or null for a {@code fetch} run's fetched file. Streams the body; does not
     * close {@code sink}. Answers the bytes copied.
     */
    public long runOutput(String id, String host, String stream, OutputStream sink) {
        String path = "api/v1/jobs/" + encode(id) + "/runs/" + encode(host) + "/output";
        if (stream != null) {
            path += "?stream=" + encode(stream);
        }
        HttpRequest r = request(path).header("Accept", "*/*").GET().build();
        try {
            HttpResponse<InputStream> response = http.send(r, HttpResponse.BodyHandlers.ofInputStream());
            try (InputStream in = response.body()) {
                if (response.statusCode() >= 300) {
                    throw problem(response.statusCode(), new String(in.readAllBytes(), StandardCharsets.UTF_8));
                }
                return in.transferTo(sink);
            }
        } catch (IOException e) {
            throw new DispatchConnectionException(base.toString(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DispatchConnectionException(base.toString(), new IOException("interrupted", e));
        }
    }

    /**
     * Uploads {@code file} as an artifact of the tenant ({@code POST /artifacts}, streamed) and answers it; the same
     * content uploaded before answers the stored artifact. {@code progress} (may be null) is called with the bytes
     * sent so far, from the sending thread. An {@code artifact-too-large} problem (413) over the server's limit.
     */
    public Artifact uploadArtifact(Path file, LongConsumer progress) {
        try {
            long size = Files.size(file);
            HttpRequest.BodyPublisher body = HttpRequest.BodyPublishers.fromPublisher(
                    HttpRequest.BodyPublishers.ofInputStream(() -> {
                        try {
                            InputStream in = Files.newInputStream(file);
                            return progress == null ? in : new CountingInputStream(in, progress);
                        } catch (IOException e) {
                            throw new UncheckedIOException(e);
                        }
                    }),
                    size);
            HttpRequest r = request("api/v1/artifacts")
                    .header("Accept", "application/json")
                    .header("Content-Type", "application/octet-stream")
                    .POST(body)
                    .build();
            HttpResponse<String> response = http.send(r, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            if (response.statusCode() >= 300) {
                throw problem(response.statusCode(), response.body());
            }
            return read(response.body(), JSON.getTypeFactory().constructType(Artifact.class));
        } catch (IOException e) {
            throw new DispatchConnectionException(base.toString(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DispatchConnectionException(base.toString(), new IOException("interrupted", e));
        }
    }

    private static final class CountingInputStream extends FilterInputStream {
        private final LongConsumer progress;
        private long count;

        CountingInputStream(InputStream in, LongConsumer progress) {
            super(in);
            this.progress = progress;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                progress.accept(++count);
            }
            return b;
        }

        @Override
        public int read(byte[] buf, int off, int len) throws IOException {
            int n = super.read(buf, off, len);
            if (n > 0) {
                count += n;
                progress.accept(count);
            }
            return n;
        }
    }

    /** The tenant's inventory hosts ({@code GET /hosts}). */
    public List<Host> hosts() {
        return send("GET", "api/v1/hosts", null, new TypeReference<List<Host>>() {});
    }

    /**
     * Reads the job's event stream until {@code job-finished}, handing each event to {@code listener}, and answers
     * that last event. A dropped connection is reopened (up to 10 times in a row, with {@code Last-Event-ID}); as the
     * server replays the history on every connection, events already delivered are skipped by id, so the listener
     * sees each event once. Blocks the calling thread; interrupting it ends the stream with
     * {@link InterruptedException} wrapped in a {@link DispatchConnectionException}.
     */
    public JobEvent.JobFinished follow(String id, JobEventListener listener) {
        Set<String> seen = new HashSet<>();
        String lastId = null;
        int failures = 0;
        while (true) {
            HttpRequest.Builder request = request("api/v1/jobs/" + encode(id) + "/events")
                    .header("Accept", "text/event-stream")
                    .GET();
            if (lastId != null) {
                request.header("Last-Event-ID", lastId);
            }
            IOException cause;
            try {
                HttpResponse<InputStream> response =
                        http.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
                if (response.statusCode() >= 300) {
                    throw problem(
                            response.statusCode(), new String(response.body().readAllBytes(), StandardCharsets.UTF_8));
                }
                try (BufferedReader in =
                        new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
                    SseReader sse = new SseReader(in);
                    SseReader.Event e;
                    while ((e = sse.next()) != null) {
                        failures = 0;
                        if (e.name().equals("overflow")) {
                            break;
                        }
                        if (e.id() != null && !e.id().isEmpty()) {
                            lastId = e.id();
                            if (!seen.add(e.id())) {
                                continue;
                            }
                        }
                        JobEvent event = toEvent(e);
                        if (event == null) {
                            continue;
                        }
                        listener.onEvent(event);
                        if (event instanceof JobEvent.JobFinished finished) {
                            return finished;
                        }
                    }
                }
                cause = new IOException("event stream ended before job-finished");
            } catch (IOException e) {
                cause = e;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new DispatchConnectionException(base.toString(), new IOException("interrupted", e));
            }
            if (++failures > MAX_RECONNECTS) {
                throw new DispatchConnectionException(base.toString(), cause);
            }
            listener.onReconnect(failures, cause);
            try {
                Thread.sleep(Math.min(5000, 200L * failures));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new DispatchConnectionException(base.toString(), new IOException("interrupted", e));
            }
        }
    }

    private static JobEvent toEvent(SseReader.Event e) throws IOException {
        JsonNode d = JSON.readTree(e.data().isEmpty() ? "{}" : e.data());
        return switch (e.name()) {
            case "run-started" ->
                new JobEvent.RunStarted(
                        e.id(), d.path("host").asText(), d.path("attempt").asInt());
            case "output" ->
                new JobEvent.Output(
                        e.id(),
                        d.path("host").asText(),
                        d.path("attempt").asInt(),
                        d.path("stream").asText(),
                        d.hasNonNull("text") ? d.get("text").asText() : null,
                        d.hasNonNull("bytes") ? d.get("bytes").asText() : null,
                        d.path("replay").asBoolean(false));
            case "run-finished" -> new JobEvent.RunFinished(e.id(), JSON.treeToValue(d, HostRun.class));
            case "job-finished" ->
                new JobEvent.JobFinished(
                        e.id(),
                        d.path("jobId").asText(),
                        d.path("state").asText(),
                        JSON.convertValue(d.path("summary"), new TypeReference<Map<String, Long>>() {}));
            default -> null;
        };
    }

    private <T> T send(String method, String path, String body, Class<T> type) {
        return read(exchange(method, path, body), JSON.getTypeFactory().constructType(type));
    }

    private <T> T send(String method, String path, String body, TypeReference<T> type) {
        return read(exchange(method, path, body), JSON.getTypeFactory().constructType(type));
    }

    private <T> T read(String body, com.fasterxml.jackson.databind.JavaType type) {
        try {
            return JSON.readValue(body, type);
        } catch (IOException e) {
            throw new UncheckedIOException("unexpected answer from " + base + ": " + e.getMessage(), e);
        }
    }

    private String exchange(String method, String path, String body) {
        HttpRequest.Builder r = request(path).timeout(requestTimeout).header("Accept", "application/json");
        if (body == null) {
            r.method(method, HttpRequest.BodyPublishers.noBody());
        } else {
            r.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(body));
        }
        HttpResponse<String> response;
        try {
            response = http.send(r.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new DispatchConnectionException(base.toString(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DispatchConnectionException(base.toString(), new IOException("interrupted", e));
        }
        if (response.statusCode() >= 300) {
            throw problem(response.statusCode(), response.body());
        }
        return response.body();
    }

    private HttpRequest.Builder request(String path) {
        HttpRequest.Builder r = HttpRequest.newBuilder(base.resolve(path));
        if (token != null && !token.isBlank()) {
            r.header("Authorization", "Bearer " + token);
        }
        return r;
    }

    /** Parses an error body: a problem document when it is one, else the status with the body as detail. */
    static DispatchProblemException problem(int status, String body) {
        try {
            JsonNode p = JSON.readTree(body);
            if (p != null && p.isObject() && (p.has("type") || p.has("title"))) {
                List<DispatchProblemException.FieldViolation> errors = new ArrayList<>();
                for (JsonNode v : p.path("errors")) {
                    errors.add(new DispatchProblemException.FieldViolation(
                            v.path("field").asText(), v.path("message").asText()));
                }
                return new DispatchProblemException(
                        p.path("status").asInt(status), text(p, "type"), text(p, "title"), text(p, "detail"), errors);
            }
        } catch (IOException | RuntimeException e) {
            // not JSON: fall through to the raw body
        }
        return new DispatchProblemException(
                status, null, "HTTP " + status, body == null ? null : body.strip(), List.of());
    }

    private static String text(JsonNode n, String field) {
        return n.hasNonNull(field) ? n.get(field).asText() : null;
    }

    private static String write(Object value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void appendParam(StringBuilder q, String name, String value) {
        if (value != null) {
            q.append('&').append(name).append('=').append(URLEncoder.encode(value, StandardCharsets.UTF_8));
        }
    }

    private static String encode(String segment) {
        return URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
