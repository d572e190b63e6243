package dev.dispatch.api;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.containsInAnyOrder;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.equalTo;

import dev.dispatch.testing.Fleet;
import dev.dispatch.testing.Jobs;
import dev.dispatch.testing.OpenSshHosts;
import dev.dispatch.testing.Tenants;
import io.agroal.api.AgroalDataSource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.ValidatableResponse;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

@QuarkusTest
class HostImportTest {
    private static final String IMPORT = "/api/v1/hosts:import";

    @Inject
    AgroalDataSource db;

    @Test
    void tomlImportCreatesThenUpdatesHostsAndGroups() {
        Tenants t = Tenants.fresh();
        t.putCredential("ops-key", Fleet.get().userPrivateKey());
        String toml = """
                [defaults]
                user = "deploy"
                credential = "ops-key"
                labels = { env = "prod" }

                [hosts.web-1]
                address = "10.0.0.5"
                labels = { role = "web" }
                groups = ["frontend"]

                [hosts.web-2]
                address = "10.0.0.6"
                port = 2222
                user = "root"
                labels = { env = "staging" }

                [groups.web]
                members = ["web-1", "web-2"]
                selector = { role = "web" }
                """;

        importAs(t, "application/toml", toml, "")
                .statusCode(200)
                .body("dryRun", equalTo(false))
                .body("created", contains("web-1", "web-2"))
                .body("updated", empty())
                .body("groups.created", contains("web"))
                .body("groups.updated", empty());

        given().auth()
                .oauth2(t.admin())
                .get("/api/v1/hosts/web-1")
                .then()
                .statusCode(200)
                .body("address", equalTo("10.0.0.5"))
                .body("port", equalTo(22))
                .body("user", equalTo("deploy"))
                .body("credential", equalTo("ops-key"))
                .body("labels", equalTo(Map.of("env", "prod", "role", "web")))
                .body("groups", contains("frontend"));
        given().auth()
                .oauth2(t.admin())
                .get("/api/v1/hosts/web-2")
                .then()
                .statusCode(200)
                .body("port", equalTo(2222))
                .body("user", equalTo("root"))
                .body("labels", equalTo(Map.of("env", "staging")));
        given().auth()
                .oauth2(t.admin())
                .get("/api/v1/groups/web")
                .then()
                .statusCode(200)
                .body("members", contains("web-1", "web-2"))
                .body("selector.role", equalTo("web"));

        importAs(t, "application/toml", toml.replace("10.0.0.6", "10.0.0.7"), "")
                .statusCode(200)
                .body("created", empty())
                .body("updated", contains("web-1", "web-2"))
                .body("groups.updated", contains("web"));
        given().auth().oauth2(t.admin()).get("/api/v1/hosts/web-2").then().body("address", equalTo("10.0.0.7"));

        List<String> actions = InventoryApiTest.actions(t);
        assertThat(actions.stream().filter("hosts.import"::equals)).hasSize(2);
        assertThat(actions.stream().filter("host.create"::equals)).hasSize(2);
        assertThat(actions.stream().filter("host.update"::equals)).hasSize(2);
        assertThat(actions).contains("group.create", "group.update");
        assertThat(InventoryApiTest.audit(t, "host.create")
                        .get(0)
                        .get("details")
                        .toString())
                .contains("import:toml");
    }

    @Test
    void yamlClustersBecomeGroupsOfTheirNodes() {
        Tenants t = Tenants.fresh();
        t.putCredential("fleet", Fleet.get().userPrivateKey());
        String yaml = """
                defaults:
                  user: ubuntu
                  port: 22
                  ssh_key: ~/.ssh/id_rsa
                  credential: fleet
                  parallel: 10
                clusters:
                  web:
                    nodes:
                      - web1.example.com
                      - admin@web2.example.com:2222
                      - "[fd00::7]:2200"
                  db:
                    nodes:
                      - host: db1.example.com
                        user: postgres
                        key_path: ~/.ssh/db_key
                      - web1.example.com
                """;
        String withoutSharedNode = yaml.substring(0, yaml.lastIndexOf("      - web1.example.com"));

        importAs(t, "application/yaml", yaml, "?dryRun=true")
                .statusCode(200)
                .body("dryRun", equalTo(true))
                .body(
                        "created",
                        contains("web1.example.com", "web2.example.com_2222", "fd00--7_2200", "db1.example.com"))
                .body("groups.created", contains("web", "db"));
        given().auth()
                .oauth2(t.admin())
                .get("/api/v1/hosts")
                .then()
                .statusCode(200)
                .body("$", empty());

        importAs(t, "application/yaml", withoutSharedNode, "")
                .statusCode(200)
                .body("dryRun", equalTo(false))
                .body(
                        "created",
                        contains("web1.example.com", "web2.example.com_2222", "fd00--7_2200", "db1.example.com"));

        given().auth()
                .oauth2(t.admin())
                .get("/api/v1/hosts/web2.example.com_2222")
                .then()
                .statusCode(200)
                .body("address", equalTo("web2.example.com"))
                .body("port", equalTo(2222))
                .body("user", equalTo("admin"))
                .body("credential", equalTo("fleet"))
                .body("labels.identity-file", equalTo("~/.ssh/id_rsa"));
        given().auth()
                .oauth2(t.admin())
                .get("/api/v1/hosts/fd00--7_2200")
                .then()
                .statusCode(200)
                .body("address", equalTo("fd00::7"))
                .body("port", equalTo(2200))
                .body("user", equalTo("ubuntu"));
        given().auth()
                .oauth2(t.admin())
                .get("/api/v1/hosts/db1.example.com")
                .then()
                .statusCode(200)
                .body("user", equalTo("postgres"))
                .body("credential", equalTo("fleet"))
                .body("labels.identity-file", equalTo("~/.ssh/db_key"));
        given().auth()
                .oauth2(t.admin())
                .get("/api/v1/groups/web")
                .then()
                .statusCode(200)
                .body("hosts", containsInAnyOrder("web1.example.com", "web2.example.com_2222", "fd00--7_2200"));
        given().auth()
                .oauth2(t.admin())
                .get("/api/v1/groups/db")
                .then()
                .statusCode(200)
                .body("members", contains("db1.example.com"));

        given().auth()
                .oauth2(t.admin())
                .contentType(ContentType.JSON)
                .body(Map.of("members", List.of("db1.example.com"), "selector", Map.of("tier", "data")))
                .put("/api/v1/groups/db")
                .then()
                .statusCode(200);
        importAs(t, "application/yaml", yaml, "").statusCode(200).body("groups.updated", contains("web", "db"));
        given().auth()
                .oauth2(t.admin())
                .get("/api/v1/groups/db")
                .then()
                .statusCode(200)
                .body("members", contains("db1.example.com", "web1.example.com"))
                .body("selector.tier", equalTo("data"));
    }

    @Test
    void sshConfigImportUsesMinaParserAndKeepsWhatTheFormatCannotSay() {
        Tenants t = Tenants.fresh();
        t.putCredential("ops", Fleet.get().userPrivateKey());
        InventoryApiTest.putHost(
                t,
                "app-1",
                Map.of(
                        "address",
                        "10.9.9.9",
                        "user",
                        "old",
                        "labels",
                        Map.of("env", "prod"),
                        "groups",
                        List.of("apps")));
        String config = """
                Host app-1 app-2
                    HostName %h.internal.example
                    Port 2022
                Host bastion
                    HostName 192.0.2.10
                    User jump
                    IdentityFile ~/.ssh/bastion
                Host *
                    User deploy
                    IdentityFile ~/.ssh/id_ed25519
                    ServerAliveInterval 30
                """;

        importAs(t, "text/x-ssh-config", config, "?credential=ops")
                .statusCode(200)
                .body("created", contains("app-2", "bastion"))
                .body("updated", contains("app-1"));

        given().auth()
                .oauth2(t.admin())
                .get("/api/v1/hosts/app-1")
                .then()
                .statusCode(200)
                .body("address", equalTo("app-1.internal.example"))
                .body("port", equalTo(2022))
                .body("user", equalTo("deploy"))
                .body("credential", equalTo("ops"))
                .body("labels.env", equalTo("prod"))
                .body("labels.identity-file", equalTo("~/.ssh/id_ed25519"))
                .body("groups", contains("apps"));
        given().auth()
                .oauth2(t.admin())
                .get("/api/v1/hosts/bastion")
                .then()
                .statusCode(200)
                .body("address", equalTo("192.0.2.10"))
                .body("port", equalTo(22))
                .body("user", equalTo("jump"))
                .body("labels.identity-file", equalTo("~/.ssh/bastion"));

        importAs(t, "text/plain", "Host app-2\n  HostName 192.0.2.22\n  User deploy\n", "")
                .statusCode(200)
                .body("updated", contains("app-2"));
        given().auth()
                .oauth2(t.admin())
                .get("/api/v1/hosts/app-2")
                .then()
                .statusCode(200)
                .body("address", equalTo("192.0.2.22"))
                .body("credential", equalTo("ops"));
    }

    @Test
    void importedHostsRunJobs() {
        Tenants t = Tenants.fresh();
        OpenSshHosts.Host h = Fleet.get().hosts().get(17);
        t.putCredential("key", Fleet.get().userPrivateKey());
        String config = "Host imported\n  HostName " + h.address() + "\n  Port " + h.port() + "\n  User "
                + Fleet.get().user() + "\n";
        importAs(t, "text/plain", config, "?credential=key").statusCode(200).body("created", contains("imported"));
        t.putKnownHost("imported", h.hostKeyLine());

        String jobId = Jobs.submit(
                t,
                Map.of("kind", "exec", "targets", Map.of("hosts", List.of("imported")), "command", "echo imported-ok"));

        assertThat(Jobs.awaitFinished(t, jobId).getString("state")).isEqualTo("SUCCEEDED");
        assertThat(Jobs.stdout(t, jobId, "imported")).isEqualTo("imported-ok\n");
    }

    @Test
    void invalidFileNamesEveryBadEntryAndWritesNothing() throws Exception {
        Tenants t = Tenants.fresh();
        String toml = """
                [hosts.web-1]
                address = "10.0.0.5"
                user = "root"

                [hosts.web-2]
                adress = "10.0.0.6"
                port = 70000
                user = "root"
                credential = "missing"

                [hosts.web-3]
                address = "10.0.0.7"
                port = "22"

                [groups.web]
                members = ["web-1", "ghost"]
                """;
        importAs(t, "application/toml", toml, "")
                .statusCode(400)
                .contentType("application/problem+json")
                .body("type", equalTo("https://dispatch.dev/problems/validation"))
                .body(
                        "errors.field",
                        containsInAnyOrder(
                                "hosts.web-2.adress",
                                "hosts.web-2.address",
                                "hosts.web-2.port",
                                "hosts.web-2.credential",
                                "hosts.web-3.port",
                                "hosts.web-3.user",
                                "groups.web.members[1]"));

        importAs(t, "application/toml", "[hosts.web-1\naddress = 1", "")
                .statusCode(400)
                .body("errors.field", contains("body"));
        importAs(t, "application/yaml", """
                clusters:
                  edge:
                    nodes: ["a.example.com", "b.example.com:http"]
                    user: ${USER}
                    jump_host: bastion
                """, "")
                .statusCode(400)
                .body(
                        "errors.field",
                        containsInAnyOrder("clusters.edge.jump_host", "clusters.edge.user", "clusters.edge.nodes[1]"));
        importAs(t, "application/yaml", """
                clusters:
                  web: {nodes: [x.example.com], user: a}
                  db: {nodes: [x.example.com], user: b}
                """, "").statusCode(400).body("errors.field", contains("clusters.db.nodes[0]"));
        importAs(t, "text/plain", """
                Host ok
                    HostName 10.0.0.1
                    User root
                Host hidden
                    HostName 10.0.0.2
                    ProxyJump bastion
                """, "")
                .statusCode(400)
                .body("errors.field", containsInAnyOrder("hosts.hidden.proxyJump", "hosts.hidden.user"));
        importAs(t, "text/plain", "Host a\n  User root\n", "?credential=nope")
                .statusCode(400)
                .body("errors.field", contains("credential"));
        importAs(t, "text/plain", "", "").statusCode(400).body("errors.field", contains("body"));

        assertThat(count("select count(*) from host where tenant_id = ?", t.id)).isZero();
        assertThat(count("select count(*) from host_group where tenant_id = ?", t.id))
                .isZero();
        assertThat(count("select count(*) from audit_event where tenant_id = ?", t.id))
                .isZero();
    }

    @Test
    void colonPathIsItsOwnResourceAndAdminOnly() {
        Tenants t = Tenants.fresh();
        String toml = "[hosts.a]\naddress = \"10.0.0.1\"\nuser = \"u\"\n";
        given().urlEncodingEnabled(false)
                .auth()
                .oauth2(t.admin())
                .get(IMPORT)
                .then()
                .statusCode(405)
                .contentType("application/problem+json");
        given().urlEncodingEnabled(false)
                .auth()
                .oauth2(t.admin())
                .contentType(ContentType.JSON)
                .body("{}")
                .post(IMPORT)
                .then()
                .statusCode(415)
                .body("type", equalTo("https://dispatch.dev/problems/unsupported-media-type"));
        given().urlEncodingEnabled(false)
                .auth()
                .oauth2(t.token("dispatch-operator"))
                .contentType("application/toml")
                .body(toml.getBytes(StandardCharsets.UTF_8))
                .post(IMPORT)
                .then()
                .statusCode(403);
        given().urlEncodingEnabled(false)
                .auth()
                .oauth2(t.admin())
                .get("/api/v1/hosts:other")
                .then()
                .statusCode(404)
                .contentType("application/problem+json");

        importAs(t, "application/toml; charset=utf-8", toml, "").statusCode(200).body("created", contains("a"));
        given().auth()
                .oauth2(t.admin())
                .contentType("application/toml")
                .body(toml.getBytes(StandardCharsets.UTF_8))
                .post("/api/v1/hosts:import")
                .then()
                .statusCode(200)
                .body("updated", contains("a"));
        given().auth()
                .oauth2(t.admin())
                .get("/api/v1/hosts")
                .then()
                .statusCode(200)
                .body("name", contains("a"));
        given().auth().oauth2(t.admin()).get("/api/v1/hosts/a").then().statusCode(200);
    }

    private static ValidatableResponse importAs(Tenants t, String contentType, String body, String query) {
        return given().urlEncodingEnabled(false)
                .auth()
                .oauth2(t.admin())
                .contentType(contentType)
                .body(body.getBytes(StandardCharsets.UTF_8))
                .post(IMPORT + query)
                .then();
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
