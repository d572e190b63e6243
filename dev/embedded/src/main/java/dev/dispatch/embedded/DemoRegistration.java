package dev.dispatch.embedded;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;

/**
 * Registers the demo hosts in tenant {@code demo} over the public REST API, as an admin would: the credential
 * {@code demo-key}, each host (label {@code fleet=demo}), and each host's key as its only trusted key. Hosts
 * {@code demo-K} left from an earlier start with more hosts lose the label, so the demo selector matches exactly
 * the hosts running now.
 */
final class DemoRegistration {
    /** The tenant the demo hosts belong to. */
    static final String TENANT = "demo";
    /** Label selecting the running demo hosts. */
    static final String SELECTOR = "{\"fleet\": \"demo\"}";

    private static final String CREDENTIAL = "demo-key";
    private static final String USER = "demo";

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final String baseUrl;
    private final String adminToken;

    DemoRegistration(String baseUrl, String adminToken) {
        this.baseUrl = baseUrl;
        this.adminToken = adminToken;
    }

    void register(DemoHosts demo) throws IOException, InterruptedException {
        put("/api/v1/credentials/" + CREDENTIAL,
                "{\"privateKey\": " + json(demo.userPrivateKey()) + "}");
        for (DemoHosts.Host host : demo.hosts()) {
            put("/api/v1/hosts/" + host.name(), hostBody(host.port(), "{\"fleet\": \"demo\"}"));
            put("/api/v1/known-hosts/" + host.name(), "{\"keys\": [" + json(host.hostKeyLine()) + "]}");
        }
        for (int k = demo.hosts().size() + 1; exists("/api/v1/hosts/demo-" + k); k++) {
            put("/api/v1/hosts/demo-" + k, hostBody(1, "{\"fleet\": \"demo-retired\"}"));
        }
    }

    private static String hostBody(int port, String labels) {
        return "{\"address\": \"127.0.0.1\", \"port\": " + port + ", \"user\": \"" + USER + "\", \"credential\": \""
                + CREDENTIAL + "\", \"labels\": " + labels + "}";
    }

    private boolean exists(String path) throws IOException, InterruptedException {
        HttpResponse<String> response = http.send(request(path).GET().build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200 && response.statusCode() != 404) {
            throw new IllegalStateException("GET " + path + " answered " + response.statusCode() + ": " + response.body());
        }
        return response.statusCode() == 200;
    }

    private void put(String path, String json) throws IOException, InterruptedException {
        HttpResponse<String> response = http.send(request(path).header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IllegalStateException("PUT " + path + " answered " + response.statusCode() + ": " + response.body());
        }
    }

    private HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(URI.create(baseUrl + path)).timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + adminToken);
    }

    /** A JSON string literal. */
    static String json(String value) {
        StringBuilder out = new StringBuilder("\"");
        for (char c : value.toCharArray()) {
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.append('"').toString();
    }

    /** Names of the registered hosts, for the banner. */
    static List<String> names(DemoHosts demo) {
        return demo.hosts().stream().map(DemoHosts.Host::name).toList();
    }
}
