package dev.dispatch.api;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItems;
import static org.hamcrest.Matchers.not;

import dev.dispatch.testing.Fleet;
import dev.dispatch.testing.Jobs;
import dev.dispatch.testing.OpenSshHosts;
import dev.dispatch.testing.Tenants;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

@QuarkusTest
class InventoryApiTest {
    private static final String NOT_FOUND = "https://dispatch.dev/problems/not-found";

    @Test
    void deletingHostRemovesItsKeysAndGroupMembership() {
        Tenants t = Tenants.fresh();
        OpenSshHosts.Host fleetHost = Fleet.get().hosts().get(13);
        t.registerHosts(List.of(fleetHost), Fleet.get().userPrivateKey());
        putHost(t, "other", Map.of("address", "10.0.0.9", "user", "root"));
        putGroup(t, "pair", Map.of("members", List.of(fleetHost.name(), "other")));

        given().auth()
                .oauth2(t.admin())
                .delete("/api/v1/hosts/" + fleetHost.name())
                .then()
                .statusCode(204);

        given().auth()
                .oauth2(t.admin())
                .get("/api/v1/hosts/" + fleetHost.name())
                .then()
                .statusCode(404);
        given().auth()
                .oauth2(t.admin())
                .delete("/api/v1/hosts/" + fleetHost.name())
                .then()
                .statusCode(404)
                .contentType("application/problem+json")
                .body("type", equalTo(NOT_FOUND));
        given().auth()
                .oauth2(t.admin())
                .get("/api/v1/known-hosts/" + fleetHost.name())
                .then()
                .statusCode(200)
                .body("keys", empty());
        given().auth()
                .oauth2(t.admin())
                .get("/api/v1/groups/pair")
                .then()
                .statusCode(200)
                .body("members", contains("other"))
                .body("hosts", contains("other"));
        given().auth()
                .oauth2(t.admin())
                .get("/api/v1/hosts")
                .then()
                .statusCode(200)
                .body("name", contains("other"));
        assertThat(audit(t, "host.delete")).singleElement().satisfies(e -> {
            assertThat(e.get("target")).isEqualTo("host/" + fleetHost.name());
            assertThat(e.get("details").toString()).contains("pair");
        });
    }

    @Test
    void hostListFiltersByGroupAndLabels() {
        Tenants t = Tenants.fresh();
        putHost(t, "a", Map.of("address", "10.0.0.1", "user", "u", "labels", Map.of("env", "prod", "role", "web")));
        putHost(
                t,
                "b",
                Map.of(
                        "address",
                        "10.0.0.2",
                        "user",
                        "u",
                        "labels",
                        Map.of("env", "prod", "role", "db"),
                        "groups",
                        List.of("web")));
        putHost(t, "c", Map.of("address", "10.0.0.3", "user", "u", "labels", Map.of("env", "dev")));
        putHost(t, "d", Map.of("address", "10.0.0.4", "user", "u"));
        putGroup(t, "web", Map.of("members", List.of("c"), "selector", Map.of("role", "web")));

        assertThat(hostNames(t, "?group=web")).containsExactly("a", "b", "c");
        assertThat(hostNames(t, "?label=env=prod")).containsExactly("a", "b");
        assertThat(hostNames(t, "?label=env=prod&label=role=db")).containsExactly("b");
        assertThat(hostNames(t, "?label=role")).containsExactly("a", "b");
        assertThat(hostNames(t, "?group=web&label=env=dev")).containsExactly("c");
        assertThat(hostNames(t, "?group=nope")).isEmpty();
        assertThat(hostNames(t, "")).containsExactly("a", "b", "c", "d");
        given().auth()
                .oauth2(t.admin())
                .queryParam("label", "=x")
                .get("/api/v1/hosts")
                .then()
                .statusCode(400)
                .body("errors.field", hasItems("label"));
    }

    @Test
    void groupLifecycleWithResolutionAndAudit() {
        Tenants t = Tenants.fresh();
        putHost(t, "web-1", Map.of("address", "10.0.0.1", "user", "u"));
        putHost(t, "web-2", Map.of("address", "10.0.0.2", "user", "u", "labels", Map.of("role", "web")));
        putHost(t, "web-3", Map.of("address", "10.0.0.3", "user", "u", "groups", List.of("web", "legacy")));

        given().auth()
                .oauth2(t.admin())
                .contentType(ContentType.JSON)
                .body(Map.of("members", List.of("web-1", "ghost", "phantom")))
                .put("/api/v1/groups/web")
                .then()
                .statusCode(400)
                .contentType("application/problem+json")
                .body("type", equalTo("https://dispatch.dev/problems/validation"))
                .body("errors.field", contains("members[1]", "members[2]"))
                .body("errors.message", hasItems(containsString("ghost"), containsString("phantom")));
        given().auth()
                .oauth2(t.admin())
                .contentType(ContentType.JSON)
                .body(Map.of())
                .put("/api/v1/groups/web")
                .then()
                .statusCode(400)
                .body("errors.field", hasItems("body"));
        given().auth()
                .oauth2(t.admin())
                .contentType(ContentType.JSON)
                .body(Map.of("members", List.of("web-1")))
                .put("/api/v1/groups/bad%20name")
                .then()
                .statusCode(400)
                .body("errors.field", hasItems("name"));
        given().auth()
                .oauth2(t.token("dispatch-operator"))
                .contentType(ContentType.JSON)
                .body(Map.of("members", List.of("web-1")))
                .put("/api/v1/groups/web")
                .then()
                .statusCode(403);

        given().auth()
                .oauth2(t.admin())
                .contentType(ContentType.JSON)
                .body(Map.of("members", List.of("web-1"), "selector", Map.of("role", "web")))
                .put("/api/v1/groups/web")
                .then()
                .statusCode(200)
                .body("name", equalTo("web"))
                .body("defined", equalTo(true))
                .body("members", contains("web-1"))
                .body("selector.role", equalTo("web"))
                .body("hosts", contains("web-1", "web-2", "web-3"))
                .body("createdAt", not(equalTo(null)));
        given().auth()
                .oauth2(t.token("dispatch-viewer"))
                .get("/api/v1/groups/web")
                .then()
                .statusCode(200)
                .body("hosts", contains("web-1", "web-2", "web-3"));
        given().auth()
                .oauth2(t.token("dispatch-viewer"))
                .get("/api/v1/groups/legacy")
                .then()
                .statusCode(200)
                .body("defined", equalTo(false))
                .body("hosts", contains("web-3"));
        given().auth()
                .oauth2(t.token("dispatch-viewer"))
                .get("/api/v1/groups")
                .then()
                .statusCode(200)
                .body("name", contains("legacy", "web"))
                .body("defined", contains(false, true));

        given().auth()
                .oauth2(t.admin())
                .contentType(ContentType.JSON)
                .body(Map.of("members", List.of("web-2")))
                .put("/api/v1/groups/web")
                .then()
                .statusCode(200)
                .body("selector.size()", equalTo(0))
                .body("hosts", contains("web-2", "web-3"));

        given().auth().oauth2(t.admin()).delete("/api/v1/groups/web").then().statusCode(204);
        given().auth()
                .oauth2(t.admin())
                .get("/api/v1/groups/web")
                .then()
                .statusCode(200)
                .body("defined", equalTo(false))
                .body("hosts", contains("web-3"));
        given().auth()
                .oauth2(t.admin())
                .delete("/api/v1/groups/web")
                .then()
                .statusCode(404)
                .body("type", equalTo(NOT_FOUND));
        given().auth()
                .oauth2(t.admin())
                .get("/api/v1/groups/nothing")
                .then()
                .statusCode(404)
                .contentType("application/problem+json");

        assertThat(actions(t)).contains("group.create", "group.update", "group.delete");
        assertThat(audit(t, "group.create"))
                .singleElement()
                .satisfies(e -> assertThat(e.get("target")).isEqualTo("group/web"));
    }

    @Test
    void credentialsAreListedWithoutKeysAndCannotBeDeletedWhileInUse() {
        Tenants t = Tenants.fresh();
        String key = Fleet.get().userPrivateKey();
        t.putCredential("ops", key);
        t.putCredential("spare", key);
        putHost(t, "h2", Map.of("address", "10.0.0.2", "user", "u", "credential", "ops"));
        putHost(t, "h1", Map.of("address", "10.0.0.1", "user", "u", "credential", "ops"));

        given().auth()
                .oauth2(t.token("dispatch-viewer"))
                .get("/api/v1/credentials")
                .then()
                .statusCode(200)
                .body("name", contains("ops", "spare"))
                .body("type", contains("ssh-ed25519", "ssh-ed25519"))
                .body("[0].fingerprint", containsString("SHA256:"))
                .body("[0].createdAt", not(equalTo(null)))
                .body("[0].updatedAt", not(equalTo(null)))
                .body(not(containsString("PRIVATE KEY")))
                .body(not(containsString(key.substring(40, 80))));

        given().auth()
                .oauth2(t.admin())
                .delete("/api/v1/credentials/ops")
                .then()
                .statusCode(409)
                .contentType("application/problem+json")
                .body("type", equalTo("https://dispatch.dev/problems/credential-in-use"))
                .body("status", equalTo(409))
                .body("hosts", contains("h1", "h2"))
                .body("detail", containsString("h1"));
        given().auth()
                .oauth2(t.token("dispatch-operator"))
                .delete("/api/v1/credentials/spare")
                .then()
                .statusCode(403);
        given().auth()
                .oauth2(t.admin())
                .delete("/api/v1/credentials/spare")
                .then()
                .statusCode(204);
        given().auth()
                .oauth2(t.admin())
                .delete("/api/v1/credentials/spare")
                .then()
                .statusCode(404)
                .body("type", equalTo(NOT_FOUND));

        given().auth().oauth2(t.admin()).delete("/api/v1/hosts/h1").then().statusCode(204);
        given().auth().oauth2(t.admin()).delete("/api/v1/hosts/h2").then().statusCode(204);
        given().auth()
                .oauth2(t.admin())
                .delete("/api/v1/credentials/ops")
                .then()
                .statusCode(204);
        given().auth()
                .oauth2(t.admin())
                .get("/api/v1/credentials")
                .then()
                .statusCode(200)
                .body("$", empty());

        assertThat(audit(t, "credential.delete"))
                .extracting(e -> e.get("target"))
                .containsExactly("credential/ops", "credential/spare");
        given().auth()
                .oauth2(t.admin())
                .get("/api/v1/audit?limit=1000")
                .then()
                .statusCode(200)
                .body(not(containsString("PRIVATE")));
    }

    @Test
    void knownHostsAreListedByHostAndDeleted() {
        Tenants t = Tenants.fresh();
        OpenSshHosts fleet = Fleet.get();
        t.putKnownHost("b", fleet.hosts().get(0).hostKeyLine());
        t.putKnownHost("a", fleet.hosts().get(0).hostKeyLine());

        given().auth()
                .oauth2(t.token("dispatch-viewer"))
                .get("/api/v1/known-hosts")
                .then()
                .statusCode(200)
                .body("host", contains("a", "b"))
                .body("[0].keys[0].type", equalTo("ssh-ed25519"))
                .body("[0].keys[0].fingerprint", containsString("SHA256:"));

        given().auth()
                .oauth2(t.token("dispatch-operator"))
                .delete("/api/v1/known-hosts/a")
                .then()
                .statusCode(403);
        given().auth().oauth2(t.admin()).delete("/api/v1/known-hosts/a").then().statusCode(204);
        given().auth()
                .oauth2(t.admin())
                .get("/api/v1/known-hosts")
                .then()
                .statusCode(200)
                .body("host", contains("b"));
        given().auth()
                .oauth2(t.admin())
                .delete("/api/v1/known-hosts/a")
                .then()
                .statusCode(404)
                .body("type", equalTo(NOT_FOUND));

        assertThat(audit(t, "known-hosts.delete"))
                .singleElement()
                .satisfies(e -> assertThat(e.get("target")).isEqualTo("host/a"));
    }

    @Test
    void anotherTenantSeesAndChangesNoneOfIt() {
        Tenants a = Tenants.fresh();
        Tenants b = Tenants.fresh();
        a.putCredential("ops", Fleet.get().userPrivateKey());
        putHost(
                a,
                "web-1",
                Map.of("address", "10.0.0.1", "user", "u", "credential", "ops", "groups", List.of("named")));
        putGroup(a, "web", Map.of("members", List.of("web-1")));
        a.putKnownHost("web-1", Fleet.get().hosts().get(0).hostKeyLine());

        given().auth()
                .oauth2(b.admin())
                .get("/api/v1/groups/web")
                .then()
                .statusCode(404)
                .body("type", equalTo(NOT_FOUND));
        given().auth().oauth2(b.admin()).get("/api/v1/groups/named").then().statusCode(404);
        given().auth()
                .oauth2(b.admin())
                .get("/api/v1/groups")
                .then()
                .statusCode(200)
                .body("$", empty());
        given().auth()
                .oauth2(b.admin())
                .get("/api/v1/credentials")
                .then()
                .statusCode(200)
                .body("$", empty());
        given().auth()
                .oauth2(b.admin())
                .get("/api/v1/known-hosts")
                .then()
                .statusCode(200)
                .body("$", empty());
        given().auth()
                .oauth2(b.admin())
                .get("/api/v1/known-hosts/web-1")
                .then()
                .statusCode(200)
                .body("keys", empty());
        given().auth()
                .oauth2(b.admin())
                .get("/api/v1/hosts?group=web")
                .then()
                .statusCode(200)
                .body("$", empty());
        given().auth().oauth2(b.admin()).delete("/api/v1/groups/web").then().statusCode(404);
        given().auth()
                .oauth2(b.admin())
                .delete("/api/v1/credentials/ops")
                .then()
                .statusCode(404);
        given().auth()
                .oauth2(b.admin())
                .delete("/api/v1/known-hosts/web-1")
                .then()
                .statusCode(404);
        given().auth().oauth2(b.admin()).delete("/api/v1/hosts/web-1").then().statusCode(404);
        given().auth()
                .oauth2(b.admin())
                .contentType(ContentType.JSON)
                .body(Map.of("members", List.of("web-1")))
                .put("/api/v1/groups/mine")
                .then()
                .statusCode(400)
                .body("errors.field", contains("members[0]"));
        given().auth()
                .oauth2(b.token("dispatch-operator"))
                .contentType(ContentType.JSON)
                .body(Map.of("kind", "exec", "targets", Map.of("groups", List.of("web")), "command", "id"))
                .post("/api/v1/jobs")
                .then()
                .statusCode(400)
                .body("errors.field", hasItems("targets.groups[0]"));

        given().auth()
                .oauth2(a.admin())
                .get("/api/v1/groups/web")
                .then()
                .statusCode(200)
                .body("hosts", contains("web-1"));
        given().auth()
                .oauth2(a.admin())
                .get("/api/v1/credentials")
                .then()
                .statusCode(200)
                .body("name", contains("ops"));
        given().auth()
                .oauth2(a.admin())
                .get("/api/v1/known-hosts")
                .then()
                .statusCode(200)
                .body("host", contains("web-1"));
        assertThat(actions(b)).isEmpty();
    }

    @Test
    void jobTargetingAGroupRunsOnMembersSelectorMatchesAndHostsNamingIt() {
        Tenants t = Tenants.fresh();
        List<OpenSshHosts.Host> fleet = Fleet.get().hosts().subList(13, 17);
        t.putCredential("key", Fleet.get().userPrivateKey());
        String[] names = {"member", "selected", "self-named", "outsider"};
        List<Map<String, Object>> extras = List.of(
                Map.of("labels", Map.of("role", "db")),
                Map.of("labels", Map.of("role", "web")),
                Map.of("labels", Map.of("role", "db"), "groups", List.of("web")),
                Map.of("labels", Map.of("role", "db"), "groups", List.of("other")));
        for (int i = 0; i < names.length; i++) {
            OpenSshHosts.Host h = fleet.get(i);
            Map<String, Object> body = new HashMap<>(Map.of(
                    "address",
                    h.address(),
                    "port",
                    h.port(),
                    "user",
                    Fleet.get().user(),
                    "credential",
                    "key"));
            body.putAll(extras.get(i));
            putHost(t, names[i], body);
            t.putKnownHost(names[i], h.hostKeyLine());
        }
        putGroup(t, "web", Map.of("members", List.of("member"), "selector", Map.of("role", "web")));

        String jobId = Jobs.submit(
                t, Map.of("kind", "exec", "targets", Map.of("groups", List.of("web")), "command", "echo ran"));
        var job = Jobs.awaitFinished(t, jobId);

        assertThat(job.getString("state")).isEqualTo("SUCCEEDED");
        List<Map<String, Object>> runs = Jobs.runs(t, jobId);
        assertThat(runs).extracting(r -> r.get("host")).containsExactlyInAnyOrder("member", "selected", "self-named");
        assertThat(runs).extracting(r -> r.get("state")).containsOnly("SUCCEEDED");
        assertThat(runs)
                .extracting(r -> r.get("address"))
                .containsExactlyInAnyOrder(
                        fleet.get(0).address(),
                        fleet.get(1).address(),
                        fleet.get(2).address());
        assertThat(Jobs.stdout(t, jobId, "self-named")).isEqualTo("ran\n");
    }

    static void putHost(Tenants t, String name, Map<String, Object> body) {
        given().auth()
                .oauth2(t.admin())
                .contentType(ContentType.JSON)
                .body(body)
                .put("/api/v1/hosts/" + name)
                .then()
                .statusCode(200);
    }

    static void putGroup(Tenants t, String name, Map<String, Object> body) {
        given().auth()
                .oauth2(t.admin())
                .contentType(ContentType.JSON)
                .body(body)
                .put("/api/v1/groups/" + name)
                .then()
                .statusCode(200);
    }

    static List<String> hostNames(Tenants t, String query) {
        return given().auth()
                .oauth2(t.token("dispatch-viewer"))
                .get("/api/v1/hosts" + query)
                .then()
                .statusCode(200)
                .extract()
                .jsonPath()
                .getList("name");
    }

    static List<String> actions(Tenants t) {
        return given().auth()
                .oauth2(t.admin())
                .get("/api/v1/audit?limit=1000")
                .then()
                .statusCode(200)
                .extract()
                .jsonPath()
                .getList("items.action");
    }

    static List<Map<String, Object>> audit(Tenants t, String action) {
        return given().auth()
                .oauth2(t.admin())
                .get("/api/v1/audit?limit=1000&action=" + action)
                .then()
                .statusCode(200)
                .extract()
                .jsonPath()
                .getList("items");
    }
}
