package dev.dispatch.ssh;

import static org.assertj.core.api.Assertions.assertThat;

import dev.dispatch.testing.Fleet;
import dev.dispatch.testing.Jobs;
import dev.dispatch.testing.OpenSshHosts;
import dev.dispatch.testing.Tenants;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

@QuarkusTest
class SshFailureTest {
    private final OpenSshHosts fleet = Fleet.get();

    private Map<String, Object> runOnce(Tenants tenant, String host, Map<String, Object> extra) {
        var body = new HashMap<String, Object>(
                Map.of("kind", "exec", "targets", Map.of("hosts", List.of(host)), "command", "echo should-not-run"));
        body.putAll(extra);
        String jobId = Jobs.submit(tenant, body);
        assertThat(Jobs.awaitFinished(tenant, jobId).getString("state")).isEqualTo("FAILED");
        return Jobs.onlyRun(tenant, jobId);
    }

    @Test
    void rejectsUnknownHostKey() {
        Tenants tenant = Tenants.fresh();
        OpenSshHosts.Host h = fleet.hosts().get(5);
        tenant.putCredential("key", fleet.userPrivateKey());
        tenant.putHost(h.name(), h.address(), h.port(), "key");

        Map<String, Object> run = runOnce(tenant, h.name(), Map.of());
        assertThat(run).containsEntry("state", "HOST_KEY_REJECTED").doesNotContainKey("exitCode");
        assertThat((String) run.get("error")).contains("no known host key");
    }

    @Test
    void rejectsChangedHostKey() {
        Tenants tenant = Tenants.fresh();
        OpenSshHosts.Host h = fleet.hosts().get(6);
        tenant.putCredential("key", fleet.userPrivateKey());
        tenant.putHost(h.name(), h.address(), h.port(), "key");
        tenant.putKnownHost(h.name(), fleet.foreignHostKeyLine());

        Map<String, Object> run = runOnce(tenant, h.name(), Map.of());
        assertThat(run).containsEntry("state", "HOST_KEY_REJECTED");
        assertThat((String) run.get("error")).contains("does not match");
    }

    @Test
    void rejectsRevokedHostKeyEvenWhenAlsoTrusted() {
        Tenants tenant = Tenants.fresh();
        OpenSshHosts.Host h = fleet.hosts().get(7);
        tenant.putCredential("key", fleet.userPrivateKey());
        tenant.putHost(h.name(), h.address(), h.port(), "key");
        RestAssured.given()
                .auth()
                .oauth2(tenant.admin())
                .contentType("text/plain")
                .body(h.hostKeyLine() + "\n@revoked * " + h.hostKeyLine() + "\n")
                .put("/api/v1/known-hosts/" + h.name())
                .then()
                .statusCode(200);

        assertThat(runOnce(tenant, h.name(), Map.of())).containsEntry("state", "HOST_KEY_REJECTED");
    }

    @Test
    void unreachablePortEndsUnreachable() {
        Tenants tenant = Tenants.fresh();
        tenant.putCredential("key", fleet.userPrivateKey());
        tenant.putHost("gone", "127.0.0.1", OpenSshHosts.closedPort(), "key");
        tenant.putKnownHost("gone", fleet.hosts().get(0).hostKeyLine());

        Map<String, Object> run = runOnce(tenant, "gone", Map.of());
        assertThat(run).containsEntry("state", "UNREACHABLE");
        assertThat((String) run.get("error")).contains("refused");
    }

    @Test
    void wrongKeyEndsAuthFailed() {
        Tenants tenant = Tenants.fresh();
        OpenSshHosts.Host h = fleet.hosts().get(8);
        tenant.putCredential("key", fleet.unauthorizedPrivateKey());
        tenant.putHost(h.name(), h.address(), h.port(), "key");
        tenant.putKnownHost(h.name(), h.hostKeyLine());

        assertThat(runOnce(tenant, h.name(), Map.of())).containsEntry("state", "AUTH_FAILED");
    }

    @Test
    void commandPastItsTimeoutEndsTimedOut() {
        Tenants tenant = Tenants.fresh();
        OpenSshHosts.Host h = fleet.hosts().get(9);
        tenant.registerHosts(List.of(h), fleet.userPrivateKey());
        long start = System.nanoTime();

        Map<String, Object> run =
                runOnce(tenant, h.name(), Map.of("command", "echo started; sleep 30", "timeout", "PT1S"));
        assertThat(run).containsEntry("state", "TIMED_OUT").containsEntry("stdoutBytes", 8);
        assertThat(System.nanoTime() - start).isLessThan(Duration.ofSeconds(20).toNanos());
    }

    @Test
    void pingChecksLoginWithoutRunningAnything() {
        Tenants tenant = Tenants.fresh();
        OpenSshHosts.Host h = fleet.hosts().get(10);
        tenant.registerHosts(List.of(h), fleet.userPrivateKey());

        String jobId = Jobs.submit(tenant, Map.of("kind", "ping", "targets", Map.of("hosts", List.of(h.name()))));
        assertThat(Jobs.awaitFinished(tenant, jobId).getString("state")).isEqualTo("SUCCEEDED");
        assertThat(Jobs.onlyRun(tenant, jobId)).containsEntry("stdoutBytes", 0);
    }
}
