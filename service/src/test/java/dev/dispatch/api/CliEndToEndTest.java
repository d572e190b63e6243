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
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

@QuarkusTest
class CliEndToEndTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    record Result(int code, String out, String err) {}

    private final Tenants tenant = Tenants.fresh();
    private final List<OpenSshHosts.Host> hosts = Fleet.get().hosts().subList(20, 22);

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

    private String hostList() {
        return String.join(",", hosts.stream().map(OpenSshHosts.Host::name).toList());
    }

    private String failOn(OpenSshHosts.Host host) {
        return "echo hi; case \" $SSH_CONNECTION \" in *\" " + host.address() + " \"*) echo bad >&2; exit 3;; esac";
    }

    @Test
    void execOnTwoHostsPrintsPrefixedLinesAndExitsZero() {
        tenant.registerHosts(hosts, Fleet.get().userPrivateKey());

        Result r = dispatch("exec", "-H", hostList(), "--", "echo", "hello");

        assertThat(r.code()).as(r.err()).isZero();
        for (OpenSshHosts.Host h : hosts) {
            assertThat(r.out()).contains("[" + h.name() + "] hello\n");
        }
        assertThat(r.out()).contains("SUCCEEDED: 2 SUCCEEDED");
    }

    @Test
    void commandFailingOnOneOfTwoHostsExitsTen() {
        tenant.registerHosts(hosts, Fleet.get().userPrivateKey());
        OpenSshHosts.Host bad = hosts.get(1);

        Result r = dispatch("exec", "-H", hostList(), "--", failOn(bad));

        assertThat(r.code()).as(r.out() + r.err()).isEqualTo(10);
        assertThat(r.out())
                .contains("[" + bad.name() + "] stderr: bad\n")
                .contains("1 FAILED 1 SUCCEEDED")
                .contains("  " + bad.name() + ": FAILED (exit 3)");
    }

    @Test
    void commandFailingOnEveryHostExitsFive() {
        tenant.registerHosts(hosts, Fleet.get().userPrivateKey());

        Result r = dispatch("exec", "--quiet", "-H", hostList(), "--", "exit 7");

        assertThat(r.code()).as(r.out() + r.err()).isEqualTo(5);
        assertThat(r.out()).doesNotContain("] ").contains("2 FAILED");
    }

    @Test
    void unknownHostIsAValidationErrorNamingTheField() {
        tenant.registerHosts(hosts, Fleet.get().userPrivateKey());

        Result r = dispatch("exec", "-H", hosts.get(0).name() + ",nosuch[1-2]", "--", "true");

        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err())
                .contains("validation")
                .contains("targets.hosts[1]: no host named 'nosuch1'")
                .contains("targets.hosts[2]: no host named 'nosuch2'");
    }

    @Test
    void jsonPrintsOneParseableEventPerLine() throws Exception {
        tenant.registerHosts(hosts, Fleet.get().userPrivateKey());

        Result r = dispatch("exec", "--json", "-H", hostList(), "--", "echo", "hello");

        assertThat(r.code()).as(r.err()).isZero();
        List<JsonNode> events = new ArrayList<>();
        for (String line : r.out().strip().split("\n")) {
            events.add(JSON.readTree(line));
        }
        List<String> names = events.stream().map(e -> e.path("event").asText()).toList();
        assertThat(names).contains("run-started", "output", "run-finished", "job-finished");
        assertThat(names.getLast()).isEqualTo("summary");
        assertThat(events.getLast().path("exitCode").asInt()).isZero();
        assertThat(events.stream().filter(e -> e.path("event").asText().equals("output")))
                .allMatch(e -> e.path("text").asText().equals("hello\n"));
    }

    @Test
    void jobsListShowsTheSubmittedJob() {
        tenant.registerHosts(hosts, Fleet.get().userPrivateKey());
        String jobId = dispatch("exec", "--detach", "-H", hostList(), "--", "true")
                .out()
                .strip();

        Result followed = dispatch("jobs", "follow", "--quiet", jobId);
        Result list = dispatch("jobs", "list");

        assertThat(followed.code()).as(followed.err()).isZero();
        assertThat(list.code()).isZero();
        assertThat(list.out()).contains(jobId);
    }
}
