package dev.dispatch.audit;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItems;

import dev.dispatch.testing.Fleet;
import dev.dispatch.testing.Jobs;
import dev.dispatch.testing.OpenSshHosts;
import dev.dispatch.testing.Tenants;
import dev.dispatch.testing.TestServicesResource;
import io.quarkus.test.junit.QuarkusTest;
import java.sql.Connection;
import java.sql.Statement;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.Test;

@QuarkusTest
class AuditTrailTest {
    @Test
    void recordsWhoDidWhatFromWhereWithoutSecrets() {
        Tenants tenant = Tenants.fresh();
        OpenSshHosts.Host h = Fleet.get().hosts().get(22);
        tenant.registerHosts(List.of(h), Fleet.get().userPrivateKey());
        String jobId = Jobs.submit(tenant, Map.of("kind", "ping", "targets", Map.of("hosts", List.of(h.name()))));
        Jobs.awaitFinished(tenant, jobId);

        var audit = given().auth()
                .oauth2(tenant.token("dispatch-viewer"))
                .get("/api/v1/audit")
                .then()
                .statusCode(200)
                .body("items.action", hasItems("credential.create", "host.create", "known-hosts.replace", "job.submit"))
                .body("items[0].action", equalTo("job.submit"))
                .body("items[0].target", equalTo("job/" + jobId))
                .body("items[0].actor", equalTo("test-user"))
                .body("items[0].source", equalTo("rest:127.0.0.1"))
                .extract()
                .asString();
        assertThat(audit)
                .doesNotContain("PRIVATE KEY")
                .doesNotContain(Fleet.get().userPrivateKey().substring(60, 100));
        given().auth()
                .oauth2(Tenants.fresh().admin())
                .get("/api/v1/audit")
                .then()
                .statusCode(200)
                .body("items.size()", equalTo(0));
    }

    @Test
    void appendOnlyTableRefusesEditsAndTheChainDetectsAForcedOne() throws Exception {
        Tenants tenant = Tenants.fresh();
        tenant.putCredential("k", Fleet.get().userPrivateKey());
        for (int i = 0; i < 3; i++) {
            tenant.putHost("h" + i, "127.0.0.1", 22, "k");
        }
        given().auth()
                .oauth2(tenant.admin())
                .get("/api/v1/audit/verify")
                .then()
                .statusCode(200)
                .body("valid", equalTo(true))
                .body("checked", equalTo(4));

        try (Connection c = TestServicesResource.ownerConnection();
                Statement s = c.createStatement()) {
            Assertions.assertThatThrownBy(() -> s.executeUpdate(
                            "update audit_event set actor = 'mallory' where tenant_id = '" + tenant.id + "'"))
                    .hasMessageContaining("append-only");
            s.execute("alter table audit_event disable trigger audit_event_no_update_or_delete");
            try {
                s.executeUpdate("update audit_event set outcome = 'forged' where tenant_id = '" + tenant.id
                        + "' and target = 'host/h1'");
            } finally {
                s.execute("alter table audit_event enable trigger audit_event_no_update_or_delete");
            }
        }
        long forgedId = given().auth()
                .oauth2(tenant.admin())
                .get("/api/v1/audit?action=host.create")
                .then()
                .extract()
                .jsonPath()
                .getLong("items.find { it.target == 'host/h1' }.id");
        given().auth()
                .oauth2(tenant.admin())
                .get("/api/v1/audit/verify")
                .then()
                .statusCode(200)
                .body("valid", equalTo(false))
                .body("brokenAt", equalTo((int) forgedId));
    }

    @Test
    void jobListFiltersAndPagesNewestFirst() {
        Tenants tenant = Tenants.fresh();
        OpenSshHosts.Host h = Fleet.get().hosts().get(23);
        tenant.registerHosts(List.of(h), Fleet.get().userPrivateKey());
        for (int i = 0; i < 5; i++) {
            Map<String, Object> body = Map.of(
                    "kind",
                    "ping",
                    "targets",
                    Map.of("hosts", List.of(h.name())),
                    "labels",
                    Map.of("ticket", i % 2 == 0 ? "OPS-1" : "OPS-2"));
            Jobs.awaitFinished(tenant, Jobs.submit(tenant, body));
        }
        var first = given().auth()
                .oauth2(tenant.token("dispatch-viewer"))
                .get("/api/v1/jobs?limit=2")
                .then()
                .statusCode(200)
                .body("items.size()", equalTo(2))
                .extract()
                .jsonPath();
        var second = given().auth()
                .oauth2(tenant.token("dispatch-viewer"))
                .get("/api/v1/jobs?limit=2&cursor=" + first.getString("nextCursor"))
                .then()
                .statusCode(200)
                .body("items.size()", equalTo(2))
                .extract()
                .jsonPath();
        var third = given().auth()
                .oauth2(tenant.token("dispatch-viewer"))
                .get("/api/v1/jobs?limit=2&cursor=" + second.getString("nextCursor"))
                .then()
                .statusCode(200)
                .body("items.size()", equalTo(1))
                .extract()
                .jsonPath();
        assertThat(third.getString("nextCursor")).isNull();
        List<String> created = new java.util.ArrayList<>(first.getList("items.createdAt"));
        created.addAll(second.getList("items.createdAt"));
        created.addAll(third.getList("items.createdAt"));
        assertThat(created).isSortedAccordingTo(Comparator.reverseOrder());
        assertThat(first.getList("items.summary.SUCCEEDED")).containsOnly(1);

        given().auth()
                .oauth2(tenant.token("dispatch-viewer"))
                .get("/api/v1/jobs?label=ticket=OPS-1")
                .then()
                .statusCode(200)
                .body("items.size()", equalTo(3));
        given().auth()
                .oauth2(tenant.token("dispatch-viewer"))
                .get("/api/v1/jobs?state=FAILED&kind=ping")
                .then()
                .statusCode(200)
                .body("items.size()", equalTo(0));
        given().auth()
                .oauth2(tenant.token("dispatch-viewer"))
                .get("/api/v1/jobs?state=DONE&since=yesterday")
                .then()
                .statusCode(400)
                .body("errors.field", hasItems("state", "since"));
        given().auth()
                .oauth2(Tenants.fresh().token("dispatch-viewer"))
                .get("/api/v1/jobs")
                .then()
                .statusCode(200)
                .body("items.size()", equalTo(0));
    }
}
