package dev.dispatch.worker;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import dev.dispatch.testing.Fleet;
import dev.dispatch.testing.Jobs;
import dev.dispatch.testing.OpenSshHosts;
import dev.dispatch.testing.Tenants;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import io.restassured.response.Response;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

@QuarkusTest
class FileJobTest {
    private Path dir;

    @BeforeEach
    void directory() throws IOException {
        dir = Files.createTempDirectory("dispatch-file-job");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    @Test
    void copiesInlineContentToEveryHostWithItsMode() throws IOException {
        Tenants tenant = Tenants.fresh();
        List<OpenSshHosts.Host> hosts = hosts(tenant, 20, 22);
        Path file = dir.resolve("app.conf");

        String jobId = Jobs.submit(
                tenant,
                fileJob(
                        "copy",
                        hosts,
                        Map.of("path", file.toString(), "content", base64("listen 80;\n"), "mode", "0640")));

        assertThat(Jobs.awaitFinished(tenant, jobId).getString("state")).isEqualTo("SUCCEEDED");
        for (Map<String, Object> run : Jobs.runs(tenant, jobId)) {
            assertThat(run)
                    .containsEntry("state", "SUCCEEDED")
                    .containsEntry("changed", true)
                    .doesNotContainKey("exitCode");
        }
        assertThat(Files.readString(file)).isEqualTo("listen 80;\n");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
                .isEqualTo("rw-r-----");
        assertThat(siblings()).containsExactly(file);
    }

    @Test
    void updateOfAnIdenticalFileReportsUnchangedAndLeavesIt() throws IOException {
        Tenants tenant = Tenants.fresh();
        List<OpenSshHosts.Host> hosts = hosts(tenant, 21, 22);
        Path file = dir.resolve("same.conf");
        Files.writeString(file, "same\n");
        FileTime past = FileTime.from(Instant.parse("2020-01-02T03:04:05Z"));
        Files.setLastModifiedTime(file, past);

        String jobId = Jobs.submit(
                tenant,
                fileJob("update", hosts, Map.of("path", file.toString(), "content", base64("same\n"), "backup", true)));

        assertThat(Jobs.awaitFinished(tenant, jobId).getString("state")).isEqualTo("SUCCEEDED");
        assertThat(Jobs.onlyRun(tenant, jobId))
                .containsEntry("state", "SUCCEEDED")
                .containsEntry("changed", false);
        assertThat(Files.getLastModifiedTime(file)).isEqualTo(past);
        assertThat(siblings()).containsExactly(file);
    }

    @Test
    void updateOfADifferentFileReplacesItAndKeepsABackup() throws IOException {
        Tenants tenant = Tenants.fresh();
        List<OpenSshHosts.Host> hosts = hosts(tenant, 22, 23);
        Path file = dir.resolve("app.conf");
        Files.writeString(file, "version 1\n");

        String jobId = Jobs.submit(
                tenant,
                fileJob(
                        "update",
                        hosts,
                        Map.of(
                                "path",
                                file.toString(),
                                "content",
                                base64("version 2\n"),
                                "mode",
                                "0644",
                                "backup",
                                true)));

        assertThat(Jobs.awaitFinished(tenant, jobId).getString("state")).isEqualTo("SUCCEEDED");
        assertThat(Jobs.onlyRun(tenant, jobId)).containsEntry("changed", true);
        assertThat(Files.readString(file)).isEqualTo("version 2\n");
        List<Path> backups = siblings().stream().filter(p -> !p.equals(file)).toList();
        assertThat(backups).hasSize(1);
        assertThat(backups.get(0).getFileName().toString()).matches("app\\.conf\\.\\d{8}T\\d{6}Z\\.bak");
        assertThat(Files.readString(backups.get(0))).isEqualTo("version 1\n");
    }

    @Test
    void fetchServesTheFileThroughRest() throws IOException {
        Tenants tenant = Tenants.fresh();
        List<OpenSshHosts.Host> hosts = hosts(tenant, 20, 22);
        Path file = dir.resolve("data.bin");
        byte[] bytes = random(300_000);
        Files.write(file, bytes);

        String jobId = Jobs.submit(tenant, fileJob("fetch", hosts, Map.of("path", file.toString())));

        assertThat(Jobs.awaitFinished(tenant, jobId).getString("state")).isEqualTo("SUCCEEDED");
        for (OpenSshHosts.Host h : hosts) {
            Response output = given().auth()
                    .oauth2(tenant.token("dispatch-viewer"))
                    .get("/api/v1/jobs/" + jobId + "/runs/" + h.name() + "/output");
            assertThat(output.statusCode()).isEqualTo(200);
            assertThat(output.contentType()).startsWith("application/octet-stream");
            assertThat(output.asByteArray()).isEqualTo(bytes);
        }
        assertThat(Jobs.runs(tenant, jobId))
                .allSatisfy(run -> assertThat(run)
                        .containsEntry("state", "SUCCEEDED")
                        .containsEntry("changed", false)
                        .containsEntry("artifact", sha256(bytes)));
        assertThat(given().auth()
                        .oauth2(tenant.token("dispatch-viewer"))
                        .get("/api/v1/artifacts/" + sha256(bytes))
                        .then()
                        .statusCode(200)
                        .extract()
                        .asByteArray())
                .isEqualTo(bytes);
    }

    @Test
    void fetchOfAMissingFileFailsWithoutOutput() {
        Tenants tenant = Tenants.fresh();
        List<OpenSshHosts.Host> hosts = hosts(tenant, 23, 24);
        Path file = dir.resolve("missing.bin");

        String jobId = Jobs.submit(tenant, fileJob("fetch", hosts, Map.of("path", file.toString())));

        assertThat(Jobs.awaitFinished(tenant, jobId).getString("state")).isEqualTo("FAILED");
        Map<String, Object> run = Jobs.onlyRun(tenant, jobId);
        assertThat(run).containsEntry("state", "FAILED").containsEntry("changed", false);
        assertThat((String) run.get("error")).contains("no such file");
        given().auth()
                .oauth2(tenant.token("dispatch-viewer"))
                .get("/api/v1/jobs/" + jobId + "/runs/" + hosts.get(0).name() + "/output")
                .then()
                .statusCode(404)
                .contentType("application/problem+json");
    }

    @Test
    void deleteRemovesTheFile() throws IOException {
        Tenants tenant = Tenants.fresh();
        List<OpenSshHosts.Host> hosts = hosts(tenant, 21, 22);
        Path file = dir.resolve("old.conf");
        Files.writeString(file, "bye\n");

        String jobId = Jobs.submit(tenant, fileJob("delete", hosts, Map.of("path", file.toString())));

        assertThat(Jobs.awaitFinished(tenant, jobId).getString("state")).isEqualTo("SUCCEEDED");
        assertThat(Jobs.onlyRun(tenant, jobId)).containsEntry("changed", true);
        assertThat(siblings()).isEmpty();
    }

    @Test
    void copiesAnUploadedArtifact() throws IOException {
        Tenants tenant = Tenants.fresh();
        List<OpenSshHosts.Host> hosts = hosts(tenant, 20, 21);
        byte[] bytes = random(3 * 1024 * 1024 + 17);
        String sha = sha256(bytes);

        Response created = upload(tenant.token("dispatch-operator"), bytes);
        assertThat(created.statusCode()).isEqualTo(201);
        assertThat(created.header("Location")).endsWith("/api/v1/artifacts/" + sha);
        assertThat(created.jsonPath().getString("sha256")).isEqualTo(sha);
        assertThat(created.jsonPath().getLong("size")).isEqualTo(bytes.length);
        assertThat(upload(tenant.token("dispatch-operator"), bytes).statusCode())
                .isEqualTo(200);
        assertThat(given().auth()
                        .oauth2(tenant.token("dispatch-viewer"))
                        .get("/api/v1/artifacts/" + sha)
                        .then()
                        .statusCode(200)
                        .contentType("application/octet-stream")
                        .extract()
                        .asByteArray())
                .isEqualTo(bytes);
        Path file = dir.resolve("big.bin");

        String jobId = Jobs.submit(
                tenant, fileJob("copy", hosts, Map.of("path", file.toString(), "artifact", sha, "mode", "0600")));

        assertThat(Jobs.awaitFinished(tenant, jobId).getString("state")).isEqualTo("SUCCEEDED");
        assertThat(Files.readAllBytes(file)).isEqualTo(bytes);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
                .isEqualTo("rw-------");
    }

    @Test
    void uploadNeedsTheOperatorRoleAndIsAudited() {
        Tenants tenant = Tenants.fresh();
        byte[] bytes = "small artifact\n".getBytes(StandardCharsets.UTF_8);

        assertThat(upload(tenant.token("dispatch-viewer"), bytes).statusCode()).isEqualTo(403);
        assertThat(upload(tenant.admin(), bytes).statusCode()).isEqualTo(201);

        JsonPath audit = given().auth()
                .oauth2(tenant.admin())
                .queryParam("action", "artifact.upload")
                .get("/api/v1/audit")
                .then()
                .statusCode(200)
                .extract()
                .jsonPath();
        assertThat(audit.getList("items")).hasSize(1);
        assertThat(audit.getString("items[0].target")).isEqualTo("artifact/" + sha256(bytes));
        assertThat(audit.getString("items[0].outcome")).isEqualTo("created");
    }

    @Test
    void refusesAnArtifactOverTheSizeLimitWhileStreamingIt() throws Exception {
        Tenants tenant = Tenants.fresh();
        byte[] bytes = random(8 * 1024 * 1024 + 1);
        HttpRequest request = HttpRequest.newBuilder(
                        URI.create(RestAssured.baseURI + ":" + RestAssured.port + "/api/v1/artifacts"))
                .header("Authorization", "Bearer " + tenant.token("dispatch-operator"))
                .header("Content-Type", "application/octet-stream")
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(bytes)))
                .build();

        HttpResponse<String> refused = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .build()
                .send(request, HttpResponse.BodyHandlers.ofString());

        assertThat(refused.statusCode()).isEqualTo(413);
        assertThat(refused.headers().firstValue("Content-Type"))
                .hasValueSatisfying(type -> assertThat(type).startsWith("application/problem+json"));
        assertThat(refused.body()).contains("/artifact-too-large");
        given().auth()
                .oauth2(tenant.token("dispatch-viewer"))
                .get("/api/v1/artifacts/" + sha256(bytes))
                .then()
                .statusCode(404);
    }

    @Test
    void anotherTenantsArtifactIsNotFoundAndCannotBeReferenced() {
        Tenants owner = Tenants.fresh();
        Tenants other = Tenants.fresh();
        List<OpenSshHosts.Host> hosts = hosts(other, 22, 23);
        byte[] bytes = random(1000);
        String sha = sha256(bytes);
        assertThat(upload(owner.token("dispatch-operator"), bytes).statusCode()).isEqualTo(201);

        given().auth()
                .oauth2(other.token("dispatch-viewer"))
                .get("/api/v1/artifacts/" + sha)
                .then()
                .statusCode(404)
                .contentType("application/problem+json")
                .body("type", org.hamcrest.Matchers.endsWith("/not-found"));
        Response rejected = submit(
                other, fileJob("copy", hosts, Map.of("path", dir.resolve("x").toString(), "artifact", sha)), false);
        assertThat(rejected.statusCode()).isEqualTo(400);
        assertThat(fields(rejected)).containsExactly("file.artifact");
    }

    @Test
    void rejectsInvalidFileRequestsNamingEveryViolation() {
        Tenants tenant = Tenants.fresh();
        List<OpenSshHosts.Host> hosts = hosts(tenant, 20, 21);
        Map<String, Object> both =
                new HashMap<>(Map.of("path", "/tmp/x", "content", base64("a"), "artifact", "0".repeat(64)));
        String oversize = Base64.getEncoder().encodeToString(new byte[1024 * 1024 + 1]);

        for (boolean dryRun : List.of(false, true)) {
            assertThat(fields(submit(tenant, fileJob("copy", hosts, Map.of("content", base64("a"))), dryRun)))
                    .containsExactly("file.path");
            assertThat(fields(submit(tenant, fileJob("update", hosts, both), dryRun)))
                    .containsExactlyInAnyOrder("file", "file.artifact");
            Response big =
                    submit(tenant, fileJob("copy", hosts, Map.of("path", "/tmp/x", "content", oversize)), dryRun);
            assertThat(fields(big)).containsExactly("file.content");
            assertThat(big.jsonPath().getString("errors[0].message")).contains("1048576");
            assertThat(fields(submit(
                            tenant,
                            fileJob(
                                    "fetch",
                                    hosts,
                                    Map.of("path", "relative/x", "content", base64("a"), "mode", "0644")),
                            dryRun)))
                    .containsExactlyInAnyOrder("file.path", "file.content", "file.mode");
            Map<String, Object> withCommand = fileJob("delete", hosts, Map.of("path", "/tmp/x"));
            withCommand.put("command", "rm -rf /");
            assertThat(fields(submit(tenant, withCommand, dryRun))).containsExactly("command");
            assertThat(fields(submit(
                            tenant,
                            fileJob(
                                    "copy",
                                    hosts,
                                    Map.of("path", "/tmp/x", "content", base64("a"), "mode", "rw-r--r--")),
                            dryRun)))
                    .containsExactly("file.mode");
        }
        Map<String, Object> noFile = fileJob("copy", hosts, Map.of());
        noFile.remove("file");
        assertThat(fields(submit(tenant, noFile, false))).containsExactly("file");
        assertThat(given().auth()
                        .oauth2(tenant.token("dispatch-operator"))
                        .contentType(ContentType.JSON)
                        .queryParam("dryRun", true)
                        .body(fileJob("copy", hosts, Map.of("path", "/tmp/x", "content", base64("a"))))
                        .post("/api/v1/jobs")
                        .then()
                        .statusCode(200)
                        .extract()
                        .jsonPath()
                        .getList("hosts"))
                .hasSize(1);
    }

    private static List<OpenSshHosts.Host> hosts(Tenants tenant, int from, int to) {
        List<OpenSshHosts.Host> hosts = Fleet.get().hosts().subList(from, to);
        tenant.registerHosts(hosts, Fleet.get().userPrivateKey());
        return hosts;
    }

    private static Map<String, Object> fileJob(String kind, List<OpenSshHosts.Host> hosts, Map<String, Object> file) {
        Map<String, Object> body = new HashMap<>();
        body.put("kind", kind);
        body.put(
                "targets",
                Map.of("hosts", hosts.stream().map(OpenSshHosts.Host::name).toList()));
        body.put("file", file);
        body.put("timeout", "PT30S");
        return body;
    }

    private static Response submit(Tenants tenant, Map<String, Object> body, boolean dryRun) {
        return given().auth()
                .oauth2(tenant.token("dispatch-operator"))
                .contentType(ContentType.JSON)
                .queryParam("dryRun", dryRun)
                .body(body)
                .post("/api/v1/jobs");
    }

    private static List<String> fields(Response problem) {
        assertThat(problem.statusCode()).as(problem.asString()).isEqualTo(400);
        assertThat(problem.jsonPath().getString("type")).endsWith("/validation");
        return problem.jsonPath().getList("errors.field");
    }

    private static Response upload(String token, byte[] bytes) {
        return given().auth()
                .oauth2(token)
                .contentType("application/octet-stream")
                .body(bytes)
                .post("/api/v1/artifacts");
    }

    private List<Path> siblings() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.sorted().toList();
        }
    }

    private static String base64(String text) {
        return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }

    private static byte[] random(int size) {
        byte[] bytes = new byte[size];
        new Random(size).nextBytes(bytes);
        return bytes;
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
