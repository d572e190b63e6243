package dev.dispatch.intake;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import dev.dispatch.InvalidRequestException;
import dev.dispatch.job.JobRequest;
import dev.dispatch.tenancy.Caller;
import dev.dispatch.testing.Fleet;
import dev.dispatch.testing.OpenSshHosts;
import dev.dispatch.testing.Tenants;
import io.agroal.api.AgroalDataSource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

/** The group commit of Kafka intake ({@link JobIntakeService#submitGroup}) stores exactly what one by one would. */
@QuarkusTest
class GroupIntakeTest {
    @Inject
    JobIntakeService intake;

    @Inject
    AgroalDataSource db;

    private static JobRequest exec(String host, String key) {
        return new JobRequest(
                "exec",
                new JobRequest.Targets(List.of(host), null, null),
                "true",
                null,
                null,
                null,
                null,
                null,
                null,
                null,
                null,
                key,
                null);
    }

    @Test
    void aGroupOfMixedTenantsStoresEachJobOnceAndKeepsEveryChainContiguous() throws Exception {
        Tenants a = Tenants.fresh();
        Tenants b = Tenants.fresh();
        OpenSshHosts.Host ha = Fleet.get().hosts().get(22);
        OpenSshHosts.Host hb = Fleet.get().hosts().get(23);
        a.registerHosts(List.of(ha), Fleet.get().userPrivateKey());
        b.registerHosts(List.of(hb), Fleet.get().userPrivateKey());
        String run = UUID.randomUUID().toString();
        // One job of tenant a stored before the group, over REST: the group continues its chain and dedupes against it.
        String stored = "rest-" + run;
        given().auth()
                .oauth2(a.token("dispatch-operator"))
                .contentType(ContentType.JSON)
                .body("{\"kind\":\"exec\",\"targets\":{\"hosts\":[\"" + ha.name() + "\"]},\"command\":\"true\","
                        + "\"idempotencyKey\":\"" + stored + "\"}")
                .post("/api/v1/jobs")
                .then()
                .statusCode(202);

        Caller ca = new Caller(a.id, "group-test", Set.of("dispatch-operator"), "kafka:group-test");
        Caller cb = new Caller(b.id, "group-test", Set.of("dispatch-operator"), "kafka:group-test");
        List<Caller> callers = new ArrayList<>();
        List<JobRequest> requests = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            callers.add(ca);
            requests.add(exec(ha.name(), "a-" + i + "-" + run));
            callers.add(cb);
            requests.add(exec(hb.name(), "b-" + i + "-" + run));
        }
        callers.add(ca); // the same key twice in one group: one job
        requests.add(exec(ha.name(), "a-2-" + run));
        callers.add(cb); // invalid: no such host
        requests.add(exec("no-such-host-" + run, "b-bad-" + run));
        callers.add(ca); // already stored before the group
        requests.add(exec(ha.name(), stored));
        callers.add(cb); // the same key in another tenant is another job
        requests.add(exec(hb.name(), "a-0-" + run));

        List<InvalidRequestException> refused = intake.submitGroup(callers, requests);

        assertThat(refused).hasSize(requests.size());
        for (int i = 0; i < refused.size(); i++) {
            if (i == 11) {
                assertThat(refused.get(i)).hasMessageContaining("no host named");
            } else {
                assertThat(refused.get(i)).as("request %d", i).isNull();
            }
        }
        assertThat(count("select count(*) from job where tenant_id = ?", a.id)).isEqualTo(6);
        assertThat(count("select count(*) from job where tenant_id = ?", b.id)).isEqualTo(6);
        assertThat(count("select count(*) from job where tenant_id = ? and idempotency_key = ?", a.id, "a-2-" + run))
                .isEqualTo(1);
        assertThat(count("select count(*) from job where tenant_id = ? and idempotency_key = ?", b.id, "b-bad-" + run))
                .isZero();
        assertThat(count("select count(*) from host_run where tenant_id = ?", a.id))
                .isEqualTo(6);
        assertThat(count("select count(*) from host_run where tenant_id = ?", b.id))
                .isEqualTo(6);
        assertThat(count(
                        "select count(*) from job j where j.tenant_id = ? and not exists "
                                + "(select 1 from host_run r where r.job_id = j.id and r.host_name = ?)",
                        b.id,
                        hb.name()))
                .isZero();
        for (Tenants t : List.of(a, b)) {
            assertThat(count("select count(*) from audit_event where tenant_id = ? and action = 'job.submit'", t.id))
                    .isEqualTo(6);
            List<Long> seqs = seqs(t.id);
            assertThat(seqs)
                    .containsExactlyElementsOf(
                            LongStream.rangeClosed(1, seqs.size()).boxed().toList());
            assertThat(count("select seq from audit_head where tenant_id = ?", t.id))
                    .isEqualTo(seqs.size());
            var verification = given().auth()
                    .oauth2(t.admin())
                    .get("/api/v1/audit/verify")
                    .then()
                    .statusCode(200)
                    .extract()
                    .jsonPath();
            assertThat(verification.getBoolean("valid")).isTrue();
            assertThat(verification.getLong("checked")).isEqualTo(seqs.size());
        }
    }

    /** The tenant's audit sequence numbers in id (insertion) order. */
    private List<Long> seqs(String tenant) throws Exception {
        List<Long> seqs = new ArrayList<>();
        try (Connection c = db.getConnection();
                PreparedStatement s =
                        c.prepareStatement("select seq from audit_event where tenant_id = ? order by id")) {
            s.setString(1, tenant);
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    seqs.add(rs.getLong(1));
                }
            }
        }
        return seqs;
    }

    private long count(String sql, String... args) throws Exception {
        try (Connection c = db.getConnection();
                PreparedStatement s = c.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                s.setString(i + 1, args[i]);
            }
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }
}
