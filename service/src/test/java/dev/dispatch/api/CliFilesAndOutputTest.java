package dev.dispatch.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dispatch.cli.Main;
import dev.dispatch.testing.Fleet;
import dev.dispatch.testing.OpenSshHosts;
import dev.dispatch.testing.Tenants;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

@QuarkusTest
class CliFilesAndOutputTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern JOB_ID = Pattern.compile("job ([0-9a-f-]{36}) ");

    record Result(int code, String out, String err) {
        String jobId() {
            Matcher m = JOB_ID.matcher(out);
            assertThat(m.find()).as(out).isTrue();
            return m.group(1);
        }
    }

    private final Tenants tenant = Tenants.fresh();
    private final List<OpenSshHosts.Host> hosts = Fleet.get().hosts().subList(21, 24);
    private Path dir;

    @BeforeEach
    void directory() throws IOException {
        dir = Files.createTempDirectory("dispatch-cli-files");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    private Result dispatch(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        Map<String, String> env = Map.of(
                "DISPATCH_URL",
                "http://localhost:" + RestAssured.port,
                "DISPATCH_TOKEN",
                tenant.admin(),
                "DISPATCH_CONFIG",
                "/nonexistent/dispatch-config.toml");
        int code = Main.execute(args, new PrintWriter(out, true), new PrintWriter(err, true), env);
        return new Result(code, out.toString(), err.toString());
    }

    private String names(List<OpenSshHosts.Host> some) {
        return String.join(",", some.stream().map(OpenSshHosts.Host::name).toList());
    }

    @Test
    void copyThenUpdateReportsEveryHostUnchanged() throws IOException {
        tenant.registerHosts(hosts.subList(0, 2), Fleet.get().userPrivateKey());
        Path local = dir.resolve("local.conf");
        Files.writeString(local, "listen 80;\n");
        Path remote = dir.resolve("app.conf");

        Result copy = dispatch(
                "copy", "-H", names(hosts.subList(0, 2)), "--mode", "0640", local.toString(), remote.toString());
        Result update = dispatch("update", "-H", "h[022-023]", local.toString(), remote.toString());

        assertThat(copy.code()).as(copy.out() + copy.err()).isZero();
        assertThat(copy.out())
                .isEqualTo("job " + copy.jobId() + " SUCCEEDED: 2 SUCCEEDED\n  changed (2): h[022-023]\n");
        assertThat(Files.readString(remote)).isEqualTo("listen 80;\n");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(remote)))
                .isEqualTo("rw-r-----");
        assertThat(update.code()).as(update.out() + update.err()).isZero();
        assertThat(update.out())
                .isEqualTo("job " + update.jobId() + " SUCCEEDED: 2 SUCCEEDED\n  unchanged (2): h[022-023]\n");
    }

    @Test
    void updateWithNewContentReportsTheHostChangedAndKeepsABackup() throws IOException {
        tenant.registerHosts(hosts.subList(0, 1), Fleet.get().userPrivateKey());
        Path remote = dir.resolve("app.conf");
        Files.writeString(remote, "old\n");
        Path local = dir.resolve("local.conf");
        Files.writeString(local, "new\n");

        Result r = dispatch("update", "--backup", "-H", "h022", local.toString(), remote.toString());

        assertThat(r.code()).as(r.out() + r.err()).isZero();
        assertThat(r.out()).isEqualTo("job " + r.jobId() + " SUCCEEDED: 1 SUCCEEDED\n  changed (1): h022\n");
        assertThat(Files.readString(remote)).isEqualTo("new\n");
        try (var files = Files.list(dir)) {
            List<Path> backups = files.filter(p -> p.getFileName().toString().startsWith("app.conf.")
                            && p.getFileName().toString().endsWith(".bak"))
                    .toList();
            assertThat(backups).hasSize(1);
            assertThat(Files.readString(backups.getFirst())).isEqualTo("old\n");
        }
    }

    @Test
    void copyOfAFileOverTheInlineLimitGoesThroughAnArtifact() throws IOException {
        tenant.registerHosts(hosts.subList(0, 1), Fleet.get().userPrivateKey());
        byte[] bytes = new byte[1024 * 1024 + 1];
        new Random(7).nextBytes(bytes);
        Path local = dir.resolve("big.local");
        Files.write(local, bytes);
        Path remote = dir.resolve("big.bin");

        Result r = dispatch("copy", "-H", "h022", local.toString(), remote.toString());

        assertThat(r.code()).as(r.out() + r.err()).isZero();
        assertThat(Files.readAllBytes(remote)).isEqualTo(bytes);
        JsonNode request = JSON.readTree(RestAssured.given()
                        .auth()
                        .oauth2(tenant.admin())
                        .get("/api/v1/jobs/" + r.jobId())
                        .asString())
                .path("request")
                .path("file");
        assertThat(request.has("content")).isFalse();
        assertThat(request.path("artifact").asText()).hasSize(64);
    }

    @Test
    void fetchWritesTheFileOfEachHostUnderItsName() throws IOException {
        tenant.registerHosts(hosts.subList(0, 2), Fleet.get().userPrivateKey());
        byte[] bytes = new byte[200_000];
        new Random(3).nextBytes(bytes);
        Path remote = dir.resolve("data.bin");
        Files.write(remote, bytes);
        Path dest = dir.resolve("fetched");

        Result r = dispatch("fetch", "-H", "h[022-023]", remote.toString(), "--dest", dest.toString());

        assertThat(r.code()).as(r.out() + r.err()).isZero();
        assertThat(Files.readAllBytes(dest.resolve("h022/data.bin"))).isEqualTo(bytes);
        assertThat(Files.readAllBytes(dest.resolve("h023/data.bin"))).isEqualTo(bytes);
        try (var entries = Files.list(dest)) {
            assertThat(entries.map(p -> p.getFileName().toString()).sorted()).containsExactly("h022", "h023");
        }
        assertThat(r.out())
                .isEqualTo("job " + r.jobId() + " SUCCEEDED: 2 SUCCEEDED\nfetched 2 files into " + dest + "\n");
    }

    @Test
    void deleteRemovesTheFile() throws IOException {
        tenant.registerHosts(hosts.subList(0, 1), Fleet.get().userPrivateKey());
        Path remote = dir.resolve("old.conf");
        Files.writeString(remote, "bye\n");

        Result r = dispatch("delete", "-H", "h022", remote.toString());
        Result again = dispatch("delete", "-H", "h022", remote.toString());

        assertThat(r.code()).as(r.out() + r.err()).isZero();
        assertThat(r.out()).isEqualTo("job " + r.jobId() + " SUCCEEDED: 1 SUCCEEDED\n  changed (1): h022\n");
        assertThat(remote).doesNotExist();
        assertThat(again.code()).isEqualTo(5);
        assertThat(again.out()).startsWith("job " + again.jobId() + " FAILED: 1 FAILED\n  h022: FAILED ");
    }

    @Test
    void groupFoldsIdenticalOutputsUnderTheirHosts() {
        tenant.registerHosts(hosts, Fleet.get().userPrivateKey());
        assertThat(names(hosts)).isEqualTo("h022,h023,h024");
        String command = "case \" $SSH_CONNECTION \" in *\" " + hosts.get(2).address()
                + " \"*) echo other; echo two; exit 3;; esac; echo same";

        Result r = dispatch("exec", "--group", "-H", "h[022-024]", "--", command);

        assertThat(r.code()).as(r.out() + r.err()).isEqualTo(10);
        assertThat(r.out())
                .isEqualTo("----------------\n"
                        + "h[022-023] (2)\n"
                        + "----------------\n"
                        + "same\n"
                        + "----------------\n"
                        + "h024: FAILED (exit 3)\n"
                        + "----------------\n"
                        + "other\n"
                        + "two\n"
                        + "job " + r.jobId() + " FAILED: 1 FAILED 2 SUCCEEDED\n"
                        + "  h024: FAILED (exit 3)\n");
        assertThat(r.err()).isEmpty();
    }

    @Test
    void outputDirWritesEachHostsStreamsToFiles() throws IOException {
        tenant.registerHosts(hosts.subList(0, 2), Fleet.get().userPrivateKey());
        Path out = dir.resolve("out");

        Result r = dispatch(
                "exec",
                "--output-dir",
                out.toString(),
                "-H",
                "h[022-023]",
                "--",
                "echo to-out; echo to-err >&2; printf no-newline");

        assertThat(r.code()).as(r.out() + r.err()).isZero();
        assertThat(r.out()).isEqualTo("job " + r.jobId() + " SUCCEEDED: 2 SUCCEEDED\n");
        for (String h : List.of("h022", "h023")) {
            assertThat(Files.readString(out.resolve(h + ".stdout"), StandardCharsets.UTF_8))
                    .isEqualTo("to-out\nno-newline");
            assertThat(Files.readString(out.resolve(h + ".stderr"), StandardCharsets.UTF_8))
                    .isEqualTo("to-err\n");
        }
        try (var files = Files.list(out)) {
            assertThat(files.map(p -> p.getFileName().toString()).sorted())
                    .containsExactly("h022.stderr", "h022.stdout", "h023.stderr", "h023.stdout");
        }
    }

    @Test
    void unreachableHostExitsThree() {
        tenant.putCredential("key", Fleet.get().userPrivateKey());
        tenant.putHost("gone", "127.0.0.1", OpenSshHosts.closedPort(), "key");
        tenant.putKnownHost("gone", hosts.get(0).hostKeyLine());

        Result r = dispatch("exec", "-H", "gone", "--", "true");

        assertThat(r.code()).as(r.out() + r.err()).isEqualTo(3);
        assertThat(r.out()).startsWith("job " + r.jobId() + " FAILED: 1 UNREACHABLE\n  gone: UNREACHABLE ");
    }

    @Test
    void retriesReRunAnUnreachableHost() throws IOException {
        tenant.putCredential("key", Fleet.get().userPrivateKey());
        tenant.putHost("gone", "127.0.0.1", OpenSshHosts.closedPort(), "key");
        tenant.putKnownHost("gone", hosts.get(0).hostKeyLine());

        Result r = dispatch("ping", "--json", "--retries", "1", "-H", "gone");

        assertThat(r.code()).as(r.out() + r.err()).isEqualTo(3);
        String[] lines = r.out().strip().split("\n");
        JsonNode summary = JSON.readTree(lines[lines.length - 1]);
        assertThat(summary.path("failed").size()).isEqualTo(1);
        assertThat(summary.path("failed").get(0).path("state").asText()).isEqualTo("UNREACHABLE");
        assertThat(summary.path("failed").get(0).path("attempt").asInt()).isEqualTo(2);
    }

    @Test
    void rejectedHostKeyExitsThree() {
        OpenSshHosts.Host h = hosts.get(0);
        tenant.putCredential("key", Fleet.get().userPrivateKey());
        tenant.putHost(h.name(), h.address(), h.port(), "key");
        tenant.putKnownHost(h.name(), Fleet.get().foreignHostKeyLine());

        Result r = dispatch("exec", "-H", h.name(), "--", "true");

        assertThat(r.code()).as(r.out() + r.err()).isEqualTo(3);
        assertThat(r.out()).startsWith("job " + r.jobId() + " FAILED: 1 HOST_KEY_REJECTED\n  h022: HOST_KEY_REJECTED ");
    }

    @Test
    void refusedKeyExitsFour() {
        tenant.registerHosts(hosts.subList(0, 1), Fleet.get().unauthorizedPrivateKey());

        Result r = dispatch("ping", "-H", "h022");

        assertThat(r.code()).as(r.out() + r.err()).isEqualTo(4);
        assertThat(r.out()).startsWith("job " + r.jobId() + " FAILED: 1 AUTH_FAILED\n  h022: AUTH_FAILED ");
    }
}
