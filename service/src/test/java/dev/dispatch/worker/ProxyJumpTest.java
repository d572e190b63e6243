package dev.dispatch.worker;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsInAnyOrder;
import static org.hamcrest.Matchers.equalTo;

import dev.dispatch.testing.CustomSshd;
import dev.dispatch.testing.Fleet;
import dev.dispatch.testing.Jobs;
import dev.dispatch.testing.OpenSshHosts;
import dev.dispatch.testing.Tenants;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.ValidatableResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The targets are registered under names only the jump hosts can resolve (each jump sshd sees its own /etc/hosts),
 * so a run can only succeed by going through the jump chain.
 */
@QuarkusTest
class ProxyJumpTest {
    private static final String HIDDEN_TARGET = "behind-jump.dispatch.test";
    private static final String HIDDEN_JUMP = "inner-jump.dispatch.test";

    private static OpenSshHosts.Host target;
    private static CustomSshd outer;
    private static CustomSshd inner;

    @BeforeAll
    static void startJumpHosts() throws Exception {
        target = Fleet.get().hosts().get(6);
        Path dir = Files.createTempDirectory("dispatch-jumps");
        inner = CustomSshd.start(
                dir.resolve("inner"),
                "127.0.3.21",
                Fleet.get().userPrivateKey(),
                null,
                List.of(),
                List.of(target.address() + " " + HIDDEN_TARGET));
        outer = CustomSshd.start(
                dir.resolve("outer"),
                "127.0.3.20",
                Fleet.get().userPrivateKey(),
                null,
                List.of(),
                List.of(target.address() + " " + HIDDEN_TARGET, inner.address() + " " + HIDDEN_JUMP));
    }

    @AfterAll
    static void stopJumpHosts() {
        if (outer != null) {
            outer.close();
        }
        if (inner != null) {
            inner.close();
        }
    }

    @Test
    void reachesAHostOnlyTheJumpHostCanResolve() {
        Tenants tenant = setUp();
        putHost(tenant, "direct", HIDDEN_TARGET, target.port(), null).statusCode(200);
        tenant.putKnownHost("direct", target.hostKeyLine());
        putHost(tenant, "app", HIDDEN_TARGET, target.port(), "outer")
                .statusCode(200)
                .body("proxyJump", equalTo("outer"));
        tenant.putKnownHost("app", target.hostKeyLine());

        Map<String, Object> direct = run(tenant, "direct", "true");
        assertThat(direct).containsEntry("state", "UNREACHABLE");

        String jobId = Jobs.submit(
                tenant,
                Map.of(
                        "kind",
                        "exec",
                        "targets",
                        Map.of("hosts", List.of("app")),
                        "command",
                        "echo \"$SSH_CONNECTION\" | cut -d' ' -f3,4"));
        assertThat(Jobs.awaitFinished(tenant, jobId).getString("state")).isEqualTo("SUCCEEDED");
        assertThat(Jobs.stdout(tenant, jobId, "app")).isEqualTo(target.address() + " " + target.port() + "\n");
        assertThat(outer.log()).contains("Accepted publickey for " + Fleet.get().user());
    }

    @Test
    void followsAChainOfJumpHostsEachCheckedStrictly() {
        Tenants tenant = setUp();
        putHost(tenant, "inner", HIDDEN_JUMP, inner.port(), "outer").statusCode(200);
        tenant.putKnownHost("inner", inner.hostKeyLine());
        putHost(tenant, "deep", HIDDEN_TARGET, target.port(), "outer, inner")
                .statusCode(200)
                .body("proxyJump", equalTo("outer,inner"));
        tenant.putKnownHost("deep", target.hostKeyLine());

        assertThat(run(tenant, "deep", "true")).containsEntry("state", "SUCCEEDED");
        assertThat(inner.log()).contains("Accepted publickey for " + Fleet.get().user());

        tenant.putKnownHost("inner", Fleet.get().foreignHostKeyLine());
        Map<String, Object> rejected = run(tenant, "deep", "true");
        assertThat(rejected).containsEntry("state", "HOST_KEY_REJECTED");
        assertThat((String) rejected.get("error")).startsWith("jump host inner: ");
        assertThat(HostKeyPolicyTest.audit(tenant, "host-key.rejected")).hasSize(1);
    }

    @Test
    void jumpHostWithoutItsKeyOrWithoutTheHostIsRefused() {
        Tenants tenant = setUp();
        given().auth()
                .oauth2(tenant.admin())
                .delete("/api/v1/known-hosts/outer")
                .then()
                .statusCode(204);
        putHost(tenant, "app", HIDDEN_TARGET, target.port(), "outer").statusCode(200);
        tenant.putKnownHost("app", target.hostKeyLine());
        Map<String, Object> run = run(tenant, "app", "true");
        assertThat(run).containsEntry("state", "HOST_KEY_REJECTED");
        assertThat((String) run.get("error")).contains("jump host outer: host outer has no known host key");

        given().auth()
                .oauth2(tenant.admin())
                .delete("/api/v1/hosts/outer")
                .then()
                .statusCode(204);
        Map<String, Object> gone = run(tenant, "app", "true");
        assertThat(gone).containsEntry("state", "UNREACHABLE");
        assertThat((String) gone.get("error")).contains("jump host outer, which is no longer in the inventory");
    }

    @Test
    void proxyJumpMustNameOtherHostsOfTheTenant() {
        Tenants tenant = setUp();
        putHost(tenant, "a", "10.0.0.1", 22, "nope")
                .statusCode(400)
                .body("errors.field", containsInAnyOrder("proxyJump"));
        putHost(tenant, "a", "10.0.0.1", 22, "root@outer:2222").statusCode(400);
        putHost(tenant, "a", "10.0.0.1", 22, "a").statusCode(400);
        putHost(tenant, "a", "10.0.0.1", 22, "outer,outer").statusCode(400);
        putHost(tenant, "a", "10.0.0.1", 22, "outer").statusCode(200);
        Tenants stranger = setUp();
        putHost(stranger, "b", "10.0.0.1", 22, "a").statusCode(400);
    }

    @Test
    void sshConfigImportMapsProxyJump() {
        Tenants tenant = setUp();
        given().urlEncodingEnabled(false)
                .auth()
                .oauth2(tenant.admin())
                .contentType("text/plain")
                .body("""
                        Host bastion
                            HostName 10.0.0.1
                        Host app
                            HostName 10.0.0.2
                            ProxyJump bastion,outer
                        Host *
                            User deploy
                        """)
                .post("/api/v1/hosts:import?credential=key")
                .then()
                .statusCode(200);
        given().auth()
                .oauth2(tenant.admin())
                .get("/api/v1/hosts/app")
                .then()
                .statusCode(200)
                .body("proxyJump", equalTo("bastion,outer"));
        given().urlEncodingEnabled(false)
                .auth()
                .oauth2(tenant.admin())
                .contentType("text/plain")
                .body("Host web\n  User root\n  ProxyJump admin@bastion:2222\n")
                .post("/api/v1/hosts:import")
                .then()
                .statusCode(400)
                .body("errors.field", containsInAnyOrder("hosts.web.proxyJump"));
    }

    private static Tenants setUp() {
        Tenants tenant = Tenants.fresh();
        tenant.putCredential("key", Fleet.get().userPrivateKey());
        putHost(tenant, "outer", outer.address(), outer.port(), null).statusCode(200);
        tenant.putKnownHost("outer", outer.hostKeyLine());
        return tenant;
    }

    private static Map<String, Object> run(Tenants tenant, String host, String command) {
        String jobId = Jobs.submit(
                tenant, Map.of("kind", "exec", "targets", Map.of("hosts", List.of(host)), "command", command));
        Jobs.awaitFinished(tenant, jobId);
        return Jobs.onlyRun(tenant, jobId);
    }

    private static ValidatableResponse putHost(
            Tenants tenant, String name, String address, int port, String proxyJump) {
        Map<String, Object> body = new HashMap<>(
                Map.of("address", address, "port", port, "user", Fleet.get().user(), "credential", "key"));
        if (proxyJump != null) {
            body.put("proxyJump", proxyJump);
        }
        return given().auth()
                .oauth2(tenant.admin())
                .contentType(ContentType.JSON)
                .body(body)
                .put("/api/v1/hosts/" + name)
                .then();
    }
}
