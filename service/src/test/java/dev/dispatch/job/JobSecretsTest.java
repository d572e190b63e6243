package dev.dispatch.job;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.dispatch.intake.JobSecretsMigration;
import dev.dispatch.testing.Fleet;
import dev.dispatch.testing.Jobs;
import dev.dispatch.testing.OpenSshHosts;
import dev.dispatch.testing.Tenants;
import io.agroal.api.AgroalDataSource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import io.smallrye.reactive.messaging.kafka.companion.ConsumerTask;
import io.smallrye.reactive.messaging.kafka.companion.KafkaCompanion;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

@QuarkusTest
class JobSecretsTest {
    static final String INPUT_SECRET = "stdin-secret-7d1e5c";
    static final String ENV_SECRET = "env-secret-4b9a2f";
    static final String FILE_SECRET = "file-secret-c3e8a6";
    static final List<String> SECRETS = List.of(INPUT_SECRET, ENV_SECRET, FILE_SECRET, base64(FILE_SECRET));

    @Inject
    AgroalDataSource db;

    @Inject
    JobSecretsMigration migration;

    @Test
    void execSecretsAreNeverReturnedNorStoredInClearYetReachTheCommandAndItsRetry() throws Exception {
        Tenants tenant = Tenants.fresh();
        OpenSshHosts.Host host = Fleet.get().hosts().get(3);
        tenant.registerHosts(List.of(host), Fleet.get().userPrivateKey());
        String input = INPUT_SECRET + "\n";

        try (KafkaCompanion kafka = new KafkaCompanion(Tenants.kafkaBootstrap())) {
            ConsumerTask<String, String> topics = kafka.consumeStrings()
                    .fromTopics("dispatch.job-events.v1", "dispatch.host-results.v1", "dispatch.output.v1");
            String submitted = given().auth()
                    .oauth2(tenant.token("dispatch-operator"))
                    .contentType(ContentType.JSON)
                    .body(Map.of(
                            "kind",
                            "exec",
                            "targets",
                            Map.of("hosts", List.of(host.name())),
                            "command",
                            "tr a-z A-Z; printf '%s\\n' \"$TOKEN\" | tr a-z A-Z",
                            "input",
                            input,
                            "env",
                            Map.of("TOKEN", ENV_SECRET, "MODE", "plain")))
                    .post("/api/v1/jobs")
                    .then()
                    .statusCode(202)
                    .extract()
                    .asString();
            String jobId = JsonPath.from(submitted).getString("id");

            assertThat(Jobs.awaitFinished(tenant, jobId).getString("state")).isEqualTo("SUCCEEDED");
            assertThat(Jobs.stdout(tenant, jobId, host.name()))
                    .isEqualTo(INPUT_SECRET.toUpperCase() + "\n" + ENV_SECRET.toUpperCase() + "\n");

            for (String role : List.of("dispatch-viewer", "dispatch-operator")) {
                String one = get(tenant, role, "/api/v1/jobs/" + jobId);
                assertNoSecret(one);
                JsonPath job = JsonPath.from(one);
                assertThat(job.getLong("request.input.bytes")).isEqualTo(input.getBytes(StandardCharsets.UTF_8).length);
                assertThat(job.getString("request.input.sha256")).isEqualTo(sha256(input));
                assertThat(job.getLong("request.env.TOKEN.bytes")).isEqualTo(ENV_SECRET.length());
                assertThat(job.getString("request.env.TOKEN.sha256")).isEqualTo(sha256(ENV_SECRET));
                assertThat(job.getString("request.env.MODE.sha256")).isEqualTo(sha256("plain"));
                assertThat(job.getString("request.command")).startsWith("tr a-z A-Z");
                assertNoSecret(get(tenant, role, "/api/v1/jobs"));
                assertNoSecret(get(tenant, role, "/api/v1/jobs/" + jobId + "/events"));
                assertNoSecret(get(tenant, role, "/api/v1/audit"));
            }
            assertNoSecret(submitted);
            assertStoredSealed(jobId);

            String retried = given().auth()
                    .oauth2(tenant.token("dispatch-operator"))
                    .contentType(ContentType.JSON)
                    .body(Map.of("states", List.of("SUCCEEDED")))
                    .post("/api/v1/jobs/" + jobId + "/retry")
                    .then()
                    .statusCode(202)
                    .extract()
                    .asString();
            assertNoSecret(retried);
            String retryId = JsonPath.from(retried).getString("id");
            assertThat(Jobs.awaitFinished(tenant, retryId).getString("state")).isEqualTo("SUCCEEDED");
            assertThat(Jobs.stdout(tenant, retryId, host.name()))
                    .isEqualTo(INPUT_SECRET.toUpperCase() + "\n" + ENV_SECRET.toUpperCase() + "\n");
            String retryJob = get(tenant, "dispatch-viewer", "/api/v1/jobs/" + retryId);
            assertNoSecret(retryJob);
            assertThat(JsonPath.from(retryJob).getString("request.env.TOKEN.sha256"))
                    .isEqualTo(sha256(ENV_SECRET));
            assertStoredSealed(retryId);
            assertThat(sealed(retryId)).isNotEqualTo(sealed(jobId));

            await().atMost(Duration.ofSeconds(30))
                    .until(() -> topics.getRecords().stream()
                                    .filter(r -> r.topic().equals("dispatch.job-events.v1")
                                            && r.key() != null
                                            && r.key().equals(retryId)
                                            && r.value().contains("finished"))
                                    .count()
                            == 1);
            List<String> values = new ArrayList<>();
            topics.getRecords().stream()
                    .filter(r -> r.key() != null
                            && (r.key().startsWith(jobId) || r.key().startsWith(retryId)))
                    .forEach(r -> values.add(r.value()));
            assertThat(values).isNotEmpty();
            values.forEach(JobSecretsTest::assertNoSecret);
        }
    }

    @Test
    void inlineFileContentIsNeverReturnedNorStoredInClearYetIsWritten() throws Exception {
        Tenants tenant = Tenants.fresh();
        OpenSshHosts.Host host = Fleet.get().hosts().get(4);
        tenant.registerHosts(List.of(host), Fleet.get().userPrivateKey());
        Path dir = Files.createTempDirectory("dispatch-secrets");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path file = dir.resolve("token.conf");

        String jobId = Jobs.submit(
                tenant,
                Map.of(
                        "kind",
                        "copy",
                        "targets",
                        Map.of("hosts", List.of(host.name())),
                        "file",
                        Map.of("path", file.toString(), "content", base64(FILE_SECRET), "mode", "0600"),
                        "timeout",
                        "PT30S"));

        assertThat(Jobs.awaitFinished(tenant, jobId).getString("state")).isEqualTo("SUCCEEDED");
        assertThat(Files.readString(file)).isEqualTo(FILE_SECRET);
        String body = get(tenant, "dispatch-viewer", "/api/v1/jobs/" + jobId);
        assertNoSecret(body);
        JsonPath job = JsonPath.from(body);
        assertThat(job.getString("request.file.path")).isEqualTo(file.toString());
        assertThat(job.getLong("request.file.content.bytes")).isEqualTo(FILE_SECRET.length());
        assertThat(job.getString("request.file.content.sha256")).isEqualTo(sha256(FILE_SECRET));
        assertNoSecret(get(tenant, "dispatch-operator", "/api/v1/jobs?kind=copy"));
        assertStoredSealed(jobId);
    }

    @Test
    void aJobStoredWithClearSecretsBeforeV12IsShownRedactedSealedAtStartupAndRetried() throws Exception {
        Tenants tenant = Tenants.fresh();
        OpenSshHosts.Host host = Fleet.get().hosts().get(6);
        tenant.registerHosts(List.of(host), Fleet.get().userPrivateKey());
        String jobId = Jobs.submit(
                tenant,
                Map.of(
                        "kind",
                        "exec",
                        "targets",
                        Map.of("hosts", List.of(host.name())),
                        "command",
                        "tr a-z A-Z; printf '%s\\n' \"$TOKEN\" | tr a-z A-Z",
                        "input",
                        "x"));
        assertThat(Jobs.awaitFinished(tenant, jobId).getString("state")).isEqualTo("SUCCEEDED");
        try (Connection c = db.getConnection();
                PreparedStatement s = c.prepareStatement("update job set request = "
                        + "request || jsonb_build_object('input', ?::text, 'env', jsonb_build_object('TOKEN', ?::text)), "
                        + "secrets = null, secret_digests = null where id = ?")) {
            s.setString(1, INPUT_SECRET);
            s.setString(2, ENV_SECRET);
            s.setObject(3, UUID.fromString(jobId));
            assertThat(s.executeUpdate()).isEqualTo(1);
        }

        String legacy = get(tenant, "dispatch-viewer", "/api/v1/jobs/" + jobId);
        assertNoSecret(legacy);
        assertThat(JsonPath.from(legacy).getString("request.input.sha256")).isEqualTo(sha256(INPUT_SECRET));
        assertThat(JsonPath.from(legacy).getString("request.env.TOKEN.sha256")).isEqualTo(sha256(ENV_SECRET));

        assertThat(migration.sealAll()).isPositive();
        assertStoredSealed(jobId);
        assertThat(get(tenant, "dispatch-viewer", "/api/v1/jobs/" + jobId)).isEqualTo(legacy);

        String retryId = given().auth()
                .oauth2(tenant.token("dispatch-operator"))
                .contentType(ContentType.JSON)
                .body(Map.of("states", List.of("SUCCEEDED")))
                .post("/api/v1/jobs/" + jobId + "/retry")
                .then()
                .statusCode(202)
                .extract()
                .path("id");
        assertThat(Jobs.awaitFinished(tenant, retryId).getString("state")).isEqualTo("SUCCEEDED");
        assertThat(Jobs.stdout(tenant, retryId, host.name()))
                .isEqualTo(INPUT_SECRET.toUpperCase() + ENV_SECRET.toUpperCase() + "\n");
        assertStoredSealed(retryId);
    }

    @Test
    void dryRunAnswersNoSecret() {
        Tenants tenant = Tenants.fresh();
        OpenSshHosts.Host host = Fleet.get().hosts().get(5);
        tenant.registerHosts(List.of(host), Fleet.get().userPrivateKey());

        String body = given().auth()
                .oauth2(tenant.token("dispatch-operator"))
                .contentType(ContentType.JSON)
                .body(Map.of(
                        "kind",
                        "exec",
                        "targets",
                        Map.of("hosts", List.of(host.name())),
                        "command",
                        "cat",
                        "input",
                        INPUT_SECRET,
                        "env",
                        Map.of("TOKEN", ENV_SECRET)))
                .queryParam("dryRun", true)
                .post("/api/v1/jobs")
                .then()
                .statusCode(200)
                .extract()
                .asString();
        assertNoSecret(body);
    }

    private void assertStoredSealed(String jobId) throws SQLException {
        try (Connection c = db.getConnection();
                PreparedStatement s = c.prepareStatement(
                        "select request::text, secret_digests::text, secrets from job where id = ?")) {
            s.setObject(1, UUID.fromString(jobId));
            try (ResultSet rs = s.executeQuery()) {
                assertThat(rs.next()).isTrue();
                assertNoSecret(rs.getString(1));
                assertNoSecret(rs.getString(2));
                byte[] sealed = rs.getBytes(3);
                assertThat(sealed).isNotNull();
                assertNoSecret(new String(sealed, StandardCharsets.ISO_8859_1));
            }
        }
    }

    private byte[] sealed(String jobId) throws SQLException {
        try (Connection c = db.getConnection();
                PreparedStatement s = c.prepareStatement("select secrets from job where id = ?")) {
            s.setObject(1, UUID.fromString(jobId));
            try (ResultSet rs = s.executeQuery()) {
                assertThat(rs.next()).isTrue();
                return rs.getBytes(1);
            }
        }
    }

    private static String get(Tenants tenant, String role, String path) {
        return given().auth()
                .oauth2(tenant.token(role))
                .get(path)
                .then()
                .statusCode(200)
                .extract()
                .asString();
    }

    private static void assertNoSecret(String text) {
        for (int i = 0; i < SECRETS.size(); i++) {
            assertThat(text.contains(SECRETS.get(i)))
                    .as("contains secret #%d: %s", i, text.replace(SECRETS.get(i), "<secret>"))
                    .isFalse();
        }
    }

    private static String base64(String text) {
        return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }

    private static String sha256(String text) throws NoSuchAlgorithmException {
        return HexFormat.of()
                .formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
    }
}
