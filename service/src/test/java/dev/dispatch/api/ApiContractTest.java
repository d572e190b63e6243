package dev.dispatch.api;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItems;
import static org.hamcrest.Matchers.not;

import dev.dispatch.testing.Fleet;
import dev.dispatch.testing.Jobs;
import dev.dispatch.testing.OpenSshHosts;
import dev.dispatch.testing.Tenants;
import io.agroal.api.AgroalDataSource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import jakarta.inject.Inject;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

@QuarkusTest
class ApiContractTest {
    @Inject
    AgroalDataSource db;

    @Test
    void requestWithoutTokenIsUnauthorized() {
        given().contentType(ContentType.JSON)
                .body(Map.of("kind", "exec"))
                .post("/api/v1/jobs")
                .then()
                .statusCode(401)
                .contentType("application/problem+json")
                .header("WWW-Authenticate", containsString("Bearer"))
                .body("type", equalTo("https://dispatch.dev/problems/unauthorized"));
        given().auth()
                .oauth2("not-a-jwt")
                .get("/api/v1/jobs/" + java.util.UUID.randomUUID())
                .then()
                .statusCode(401);
    }

    @Test
    void anOversizedJsonBodyIsRefusedBeforeItIsParsed() {
        Tenants tenant = Tenants.fresh();
        String huge = "{\"kind\": \"exec\", \"command\": \"" + "x".repeat(9 * 1024 * 1024) + "\"}";
        given().auth()
                .oauth2(tenant.token("dispatch-operator"))
                .contentType(ContentType.JSON)
                .body(huge)
                .post("/api/v1/jobs")
                .then()
                .statusCode(413)
                .contentType("application/problem+json")
                .body("type", equalTo("https://dispatch.dev/problems/request-too-large"));
    }

    /** Chunked: no Content-Length to judge by. Before, it was read whole (up to the 260 MB server limit) and parsed. */
    @Test
    void aChunkedOversizedBodyIsRefusedWithoutBeingParsed() throws Exception {
        Tenants tenant = Tenants.fresh();
        byte[] head = "{\"kind\": \"exec\", \"command\": \"".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        long total = 20L * 1024 * 1024;
        InputStream body = new InputStream() {
            long sent;

            @Override
            public int read() {
                if (sent >= total) {
                    return -1;
                }
                return sent < head.length ? head[(int) sent++] : (sent++ < total - 2 ? 'x' : '"');
            }
        };
        var http = HttpClient.newHttpClient();
        var response = http.send(
                HttpRequest.newBuilder(
                                URI.create("http://localhost:" + io.restassured.RestAssured.port + "/api/v1/jobs"))
                        .header("Authorization", "Bearer " + tenant.token("dispatch-operator"))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofInputStream(() -> body))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(413);
        assertThat(response.headers().firstValue("content-type"))
                .hasValueSatisfying(t -> assertThat(t).startsWith("application/problem+json"));
        assertThat(response.body())
                .contains("https://dispatch.dev/problems/request-too-large")
                .contains("8388608");
        assertThat(count("select count(*) from job where tenant_id = ?", tenant.id))
                .isZero();
    }

    /** Before, 100,000 names went into one IN list and the job answered 500; NUL in command also answered 500. */
    @Test
    void oversizedAndUnstorableRequestsAreFieldViolations() throws Exception {
        Tenants tenant = Tenants.fresh();
        String operator = tenant.token("dispatch-operator");
        List<String> names = new ArrayList<>();
        for (int i = 0; i < 100_000; i++) {
            names.add("h" + i);
        }
        given().auth()
                .oauth2(operator)
                .contentType(ContentType.JSON)
                .body(Map.of("kind", "exec", "command", "true", "targets", Map.of("hosts", names)))
                .post("/api/v1/jobs")
                .then()
                .statusCode(400)
                .contentType("application/problem+json")
                .body("type", equalTo("https://dispatch.dev/problems/validation"))
                .body("errors.field", hasItems("targets.hosts"))
                .body("errors.message", hasItems(containsString("dispatch.intake.max-hosts")))
                .body("errors.message", hasItems(containsString("10000")));
        Map<String, String> env = new HashMap<>();
        for (int i = 0; i < 101; i++) {
            env.put("V" + i, "x");
        }
        given().auth()
                .oauth2(operator)
                .contentType(ContentType.JSON)
                .body(Map.of(
                        "kind",
                        "exec",
                        "command",
                        "x".repeat(65537),
                        "env",
                        env,
                        "labels",
                        Map.of("team", "y".repeat(300)),
                        "targets",
                        Map.of("hosts", List.of("h1"))))
                .post("/api/v1/jobs")
                .then()
                .statusCode(400)
                .body("errors.field", hasItems("command", "env", "labels.team"))
                .body(
                        "errors.message",
                        hasItems(
                                containsString("dispatch.intake.max-command-bytes"),
                                containsString("dispatch.intake.max-env-entries"),
                                containsString("dispatch.intake.max-name-length")));
        given().auth()
                .oauth2(operator)
                .contentType(ContentType.JSON)
                .body("{\"kind\":\"exec\",\"command\":\"echo \\u0000\",\"input\":\"\\ud800\","
                        + "\"targets\":{\"hosts\":[\"a\\u0000b\"]},\"idempotencyKey\":\"k\\u0001\"}")
                .post("/api/v1/jobs")
                .then()
                .statusCode(400)
                .contentType("application/problem+json")
                .body("type", equalTo("https://dispatch.dev/problems/validation"))
                .body("errors.field", hasItems("command", "input", "targets.hosts[0]", "idempotencyKey"))
                .body(
                        "errors.message",
                        hasItems(
                                containsString("NUL character"),
                                containsString("unpaired UTF-16 surrogate"),
                                containsString("control character")));
        given().auth()
                .oauth2(operator)
                .contentType(ContentType.JSON)
                .body("{\"kind\":\"exec\",\"command\":\"echo \\u0000\",\"targets\":{\"hosts\":[\"h1\"]}}")
                .post("/api/v1/jobs?dryRun=true")
                .then()
                .statusCode(400)
                .body("errors.field", hasItems("command"));
        assertThat(count("select count(*) from job where tenant_id = ?", tenant.id))
                .isZero();
    }

    @Test
    void anotherTenantsJobIsNotFound() {
        Tenants a = Tenants.fresh();
        Tenants b = Tenants.fresh();
        OpenSshHosts.Host h = Fleet.get().hosts().get(11);
        a.registerHosts(List.of(h), Fleet.get().userPrivateKey());
        String jobId = Jobs.submit(
                a,
                Map.of("kind", "exec", "targets", Map.of("hosts", List.of(h.name())), "command", "echo secret-output"));
        Jobs.awaitFinished(a, jobId);

        for (String path : List.of("", "/runs", "/runs/" + h.name() + "/output")) {
            given().auth()
                    .oauth2(b.admin())
                    .get("/api/v1/jobs/" + jobId + path)
                    .then()
                    .statusCode(404)
                    .contentType("application/problem+json")
                    .body("type", equalTo("https://dispatch.dev/problems/not-found"))
                    .body(not(containsString("secret-output")));
        }
        given().auth().oauth2(b.admin()).get("/api/v1/hosts/" + h.name()).then().statusCode(404);
        given().auth()
                .oauth2(b.token("dispatch-operator"))
                .contentType(ContentType.JSON)
                .body(Map.of("kind", "exec", "targets", Map.of("hosts", List.of(h.name())), "command", "id"))
                .post("/api/v1/jobs")
                .then()
                .statusCode(400)
                .body("errors.field", hasItems("targets.hosts[0]"));
    }

    @Test
    void malformedRequestNamesEveryViolationAndWritesNothing() throws Exception {
        Tenants tenant = Tenants.fresh();
        given().auth()
                .oauth2(tenant.token("dispatch-operator"))
                .contentType(ContentType.JSON)
                .body(Map.of(
                        "kind",
                        "exec",
                        "targets",
                        Map.of("hosts", List.of("nope")),
                        "timeout",
                        "5 minutes",
                        "parallelism",
                        0,
                        "env",
                        Map.of("BAD-NAME", "x"),
                        "idempotencyKey",
                        "k-1"))
                .post("/api/v1/jobs")
                .then()
                .statusCode(400)
                .contentType("application/problem+json")
                .body("type", equalTo("https://dispatch.dev/problems/validation"))
                .body("title", equalTo("Invalid request"))
                .body(
                        "errors.field",
                        hasItems("command", "targets.hosts[0]", "timeout", "parallelism", "env.BAD-NAME"));
        given().auth()
                .oauth2(tenant.token("dispatch-operator"))
                .contentType(ContentType.JSON)
                .body(Map.of("kind", "reboot-everything", "targets", Map.of()))
                .post("/api/v1/jobs")
                .then()
                .statusCode(400)
                .body("errors.field", hasItems("kind", "targets"));
        given().auth()
                .oauth2(tenant.token("dispatch-operator"))
                .contentType(ContentType.JSON)
                .body("{\"kind\": \"exec\", \"comand\": \"typo\"}")
                .post("/api/v1/jobs")
                .then()
                .statusCode(400)
                .contentType("application/problem+json")
                .body("type", equalTo("https://dispatch.dev/problems/malformed-body"))
                .body("detail", containsString("comand"));
        given().auth()
                .oauth2(tenant.token("dispatch-operator"))
                .contentType(ContentType.JSON)
                .body("{\"kind\": ")
                .post("/api/v1/jobs")
                .then()
                .statusCode(400)
                .contentType("application/problem+json")
                .body("type", equalTo("https://dispatch.dev/problems/malformed-body"));

        assertThat(count("select count(*) from job where tenant_id = ?", tenant.id))
                .isZero();
        assertThat(count("select count(*) from host_run where tenant_id = ?", tenant.id))
                .isZero();
        assertThat(count("select count(*) from audit_event where tenant_id = ?", tenant.id))
                .isZero();
    }

    @Test
    void viewerCannotSubmitAndOperatorCannotChangeInventory() {
        Tenants tenant = Tenants.fresh();
        given().auth()
                .oauth2(tenant.token("dispatch-viewer"))
                .contentType(ContentType.JSON)
                .body(Map.of("kind", "ping", "targets", Map.of("hosts", List.of("x"))))
                .post("/api/v1/jobs")
                .then()
                .statusCode(403)
                .contentType("application/problem+json");
        given().auth()
                .oauth2(tenant.token("dispatch-operator"))
                .contentType(ContentType.JSON)
                .body(Map.of("address", "127.0.0.1", "user", "root"))
                .put("/api/v1/hosts/h")
                .then()
                .statusCode(403);
        given().auth()
                .oauth2(Tenants.tokenFor(null, "dispatch-admin"))
                .get("/api/v1/hosts")
                .then()
                .statusCode(403)
                .body("type", equalTo("https://dispatch.dev/problems/no-tenant"));
    }

    @Test
    void credentialIsWriteOnlyAndEncryptedAtRest() throws Exception {
        Tenants tenant = Tenants.fresh();
        String key = Fleet.get().userPrivateKey();
        given().auth()
                .oauth2(tenant.admin())
                .contentType(ContentType.JSON)
                .body(Map.of("privateKey", key))
                .put("/api/v1/credentials/ops")
                .then()
                .statusCode(200)
                .body("name", equalTo("ops"))
                .body("type", equalTo("ssh-ed25519"))
                .body("fingerprint", containsString("SHA256:"))
                .body(not(containsString("PRIVATE KEY")));
        try (Connection c = db.getConnection();
                PreparedStatement s = c.prepareStatement(
                        "select encrypted_key from credential where tenant_id = ? and name = 'ops'")) {
            s.setString(1, tenant.id);
            try (ResultSet rs = s.executeQuery()) {
                assertThat(rs.next()).isTrue();
                assertThat(new String(rs.getBytes(1), StandardCharsets.ISO_8859_1))
                        .doesNotContain("PRIVATE KEY")
                        .doesNotContain(key.substring(40, 80));
            }
        }
        assertThat(count(
                        "select count(*) from audit_event where tenant_id = ? and details::text like '%PRIVATE%'",
                        tenant.id))
                .isZero();
        given().auth()
                .oauth2(tenant.admin())
                .contentType(ContentType.JSON)
                .body(Map.of("privateKey", "-----BEGIN OPENSSH PRIVATE KEY-----\ngarbage\n"))
                .put("/api/v1/credentials/bad")
                .then()
                .statusCode(400)
                .body("errors.field", hasItems("privateKey"))
                .body(not(containsString("garbage")));
    }

    @Test
    void sameIdempotencyKeyReturnsTheFirstJob() {
        Tenants tenant = Tenants.fresh();
        OpenSshHosts.Host h = Fleet.get().hosts().get(12);
        tenant.registerHosts(List.of(h), Fleet.get().userPrivateKey());
        Map<String, Object> body =
                Map.of("kind", "exec", "targets", Map.of("hosts", List.of(h.name())), "command", "true");
        String first = given().auth()
                .oauth2(tenant.token("dispatch-operator"))
                .contentType(ContentType.JSON)
                .header("Idempotency-Key", "deploy-4711")
                .body(body)
                .post("/api/v1/jobs")
                .then()
                .statusCode(202)
                .header("Location", containsString("/api/v1/jobs/"))
                .extract()
                .path("id");
        String second = given().auth()
                .oauth2(tenant.token("dispatch-operator"))
                .contentType(ContentType.JSON)
                .header("Idempotency-Key", "deploy-4711")
                .body(body)
                .post("/api/v1/jobs")
                .then()
                .statusCode(200)
                .extract()
                .path("id");
        assertThat(second).isEqualTo(first);
    }

    private long count(String sql, String tenant) throws Exception {
        try (Connection c = db.getConnection();
                PreparedStatement s = c.prepareStatement(sql)) {
            s.setString(1, tenant);
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }
}
