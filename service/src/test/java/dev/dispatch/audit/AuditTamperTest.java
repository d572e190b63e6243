package dev.dispatch.audit;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.dispatch.testing.DispatchProcess;
import dev.dispatch.testing.Fleet;
import dev.dispatch.testing.Tenants;
import dev.dispatch.testing.TestServicesResource;
import io.agroal.api.AgroalDataSource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Test;

@QuarkusTest
class AuditTamperTest {
    @Inject
    AgroalDataSource db;

    @Test
    void deletingTheNewestRecordAsTheOwnerFailsVerificationEvenWithTheHeadRewritten() throws Exception {
        Tenants tenant = Tenants.fresh();
        tenant.putCredential("k", Fleet.get().userPrivateKey());
        tenant.putHost("h0", "127.0.0.1", 22, "k");
        tenant.putHost("h1", "127.0.0.1", 22, "k");
        awaitCheckpoint(tenant, 3);

        owner(
                "alter table audit_event disable trigger audit_event_no_update_or_delete",
                "delete from audit_event where tenant_id = '" + tenant.id + "' and seq = 3",
                "alter table audit_event enable trigger audit_event_no_update_or_delete",
                "update audit_head h set seq = e.seq, hash = e.hash from audit_event e where h.tenant_id = '"
                        + tenant.id + "' and e.tenant_id = h.tenant_id and e.seq = 2");

        JsonPath result = verify(tenant);
        assertThat(result.getBoolean("valid")).isFalse();
        assertThat(result.getLong("checked")).isEqualTo(2);
        assertThat(result.getString("reason")).contains("records 3..3 are missing");
    }

    @Test
    void truncateIsRefusedEvenToTheOwnerAndATruncatedTrailFailsVerification() throws Exception {
        Tenants tenant = Tenants.fresh();
        tenant.putCredential("k", Fleet.get().userPrivateKey());
        tenant.putHost("h0", "127.0.0.1", 22, "k");
        awaitCheckpoint(tenant, 2);

        assertThatThrownBy(() -> owner("truncate audit_event"))
                .isInstanceOf(SQLException.class)
                .hasMessageContaining("append-only");
        assertThat(verify(tenant).getBoolean("valid")).isTrue();

        owner(
                "alter table audit_event disable trigger audit_event_no_truncate",
                "truncate audit_event",
                "alter table audit_event enable trigger audit_event_no_truncate",
                "delete from audit_head where tenant_id = '" + tenant.id + "'");

        JsonPath result = verify(tenant);
        assertThat(result.getBoolean("valid")).isFalse();
        assertThat(result.getLong("checked")).isZero();
        assertThat(result.getString("reason")).contains("records 1..2 are missing");
    }

    @Test
    void theServiceRoleCannotTruncateDeleteUpdateOrDisableTheTriggers() throws Exception {
        Tenants tenant = Tenants.fresh();
        tenant.putCredential("k", Fleet.get().userPrivateKey());
        for (String sql : new String[] {
            "truncate audit_event",
            "delete from audit_event where tenant_id = '" + tenant.id + "'",
            "update audit_event set actor = 'mallory' where tenant_id = '" + tenant.id + "'",
            "delete from audit_head where tenant_id = '" + tenant.id + "'"
        }) {
            assertThatThrownBy(() -> app(sql))
                    .as(sql)
                    .isInstanceOfSatisfying(
                            SQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("42501"))
                    .hasMessageContaining("permission denied for table audit_");
        }
        for (String sql : new String[] {
            "alter table audit_event disable trigger audit_event_no_update_or_delete",
            "alter table audit_event disable trigger audit_event_no_truncate",
            "alter table audit_event disable trigger all"
        }) {
            assertThatThrownBy(() -> app(sql))
                    .as(sql)
                    .isInstanceOfSatisfying(
                            SQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("42501"))
                    .hasMessageContaining("must be owner of table audit_event");
        }
        assertThat(verify(tenant).getLong("checked")).isEqualTo(1);
    }

    @Test
    void anActorHoldingTheOldDelimiterCannotBeShiftedIntoTheActionUnnoticed() throws Exception {
        Tenants tenant = Tenants.fresh();
        Map<String, String> keys = Map.of(
                "test.jwt-private-key", ConfigProvider.getConfig().getValue("test.jwt-private-key", String.class));
        String forged = DispatchProcess.adminToken(keys, tenant.id, "alice\u001fhost.create");
        given().auth()
                .oauth2(forged)
                .contentType(ContentType.JSON)
                .body(Map.of("privateKey", Fleet.get().userPrivateKey()))
                .put("/api/v1/credentials/k")
                .then()
                .statusCode(200);
        long id = given().auth()
                .oauth2(tenant.admin())
                .get("/api/v1/audit?action=credential.create")
                .then()
                .statusCode(200)
                .extract()
                .jsonPath()
                .getLong("items[0].id");
        assertThat(verify(tenant).getBoolean("valid")).isTrue();

        owner(
                "alter table audit_event disable trigger audit_event_no_update_or_delete",
                "update audit_event set actor = 'alice', action = 'host.create' || chr(31) || 'credential.create'"
                        + " where id = " + id,
                "alter table audit_event enable trigger audit_event_no_update_or_delete");

        JsonPath result = verify(tenant);
        assertThat(result.getBoolean("valid")).isFalse();
        assertThat(result.getLong("brokenAt")).isEqualTo(id);
    }

    private static JsonPath verify(Tenants tenant) {
        return given().auth()
                .oauth2(tenant.admin())
                .get("/api/v1/audit/verify")
                .then()
                .statusCode(200)
                .extract()
                .jsonPath();
    }

    /** Waits until the checkpoint of record {@code seq} is readable on the topic (published by the service). */
    private static void awaitCheckpoint(Tenants tenant, long seq) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        JsonPath last = verify(tenant);
        while (!Long.valueOf(seq).equals(last.get("checkpointSeq") == null ? null : last.getLong("checkpointSeq"))) {
            assertThat(System.nanoTime())
                    .as("checkpoint of record %d, last verification %s", seq, last.prettify())
                    .isLessThan(deadline);
            Thread.sleep(100);
            last = verify(tenant);
        }
        assertThat(last.getBoolean("valid")).isTrue();
    }

    private static void owner(String... statements) throws SQLException {
        try (Connection c = TestServicesResource.ownerConnection();
                Statement s = c.createStatement()) {
            for (String sql : statements) {
                s.execute(sql);
            }
        }
    }

    private void app(String sql) throws SQLException {
        try (Connection c = db.getConnection();
                Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }
}
