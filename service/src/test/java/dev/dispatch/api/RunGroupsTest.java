package dev.dispatch.api;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import dev.dispatch.testing.Fleet;
import dev.dispatch.testing.Jobs;
import dev.dispatch.testing.OpenSshHosts;
import dev.dispatch.testing.Tenants;
import io.quarkus.test.junit.QuarkusTest;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

@QuarkusTest
class RunGroupsTest {

    @Test
    void groupsHostsByIdenticalStdoutLargestGroupFirst() {
        Tenants tenant = Tenants.fresh();
        List<OpenSshHosts.Host> hosts = Fleet.get().hosts().subList(5, 8);
        tenant.registerHosts(hosts, Fleet.get().userPrivateKey());
        OpenSshHosts.Host odd = hosts.get(1);

        String jobId = Jobs.submit(
                tenant,
                Map.of(
                        "kind",
                        "exec",
                        "targets",
                        Map.of(
                                "hosts",
                                hosts.stream().map(OpenSshHosts.Host::name).toList()),
                        "command",
                        "if [ \"$(echo \"$SSH_CONNECTION\" | cut -d' ' -f3)\" = " + odd.address()
                                + " ]; then echo different; exit 2; else echo same; fi"));
        Jobs.awaitFinished(tenant, jobId);

        List<Map<String, Object>> groups = given().auth()
                .oauth2(tenant.token("dispatch-viewer"))
                .queryParam("groupBy", "output")
                .get("/api/v1/jobs/" + jobId + "/runs")
                .then()
                .statusCode(200)
                .extract()
                .jsonPath()
                .getList("$");

        assertThat(groups).hasSize(2);
        assertThat(groups.get(0))
                .containsEntry(
                        "hosts", List.of(hosts.get(0).name(), hosts.get(2).name()))
                .containsEntry("count", 2)
                .containsEntry("state", "SUCCEEDED")
                .containsEntry("exitCode", 0)
                .containsEntry("stdout", "same\n")
                .containsEntry("stdoutBytes", 5)
                .containsEntry("truncated", false)
                .containsEntry("stdoutPartial", false);
        assertThat(groups.get(1))
                .containsEntry("hosts", List.of(odd.name()))
                .containsEntry("count", 1)
                .containsEntry("state", "FAILED")
                .containsEntry("exitCode", 2)
                .containsEntry("stdout", "different\n")
                .containsEntry("stdoutBytes", 10);
    }

    /** Before, every group's whole stored stdout (up to 1 MiB each, for up to 10,000 groups) went into one answer. */
    @Test
    void groupedOutputShowsOnlyTheHeadOfEachGroup() {
        Tenants tenant = Tenants.fresh();
        OpenSshHosts.Host host = Fleet.get().hosts().get(9);
        tenant.registerHosts(List.of(host), Fleet.get().userPrivateKey());
        String jobId = Jobs.submit(
                tenant,
                Map.of(
                        "kind",
                        "exec",
                        "targets",
                        Map.of("hosts", List.of(host.name())),
                        "command",
                        "head -c 100000 /dev/zero | tr '\\0' a"));
        Jobs.awaitFinished(tenant, jobId);

        List<Map<String, Object>> groups = given().auth()
                .oauth2(tenant.token("dispatch-viewer"))
                .queryParam("groupBy", "output")
                .get("/api/v1/jobs/" + jobId + "/runs")
                .then()
                .statusCode(200)
                .extract()
                .jsonPath()
                .getList("$");
        assertThat(groups).singleElement().satisfies(g -> {
            assertThat(g)
                    .containsEntry("stdoutBytes", 100000)
                    .containsEntry("stdoutPartial", true)
                    .containsEntry("truncated", false);
            assertThat((String) g.get("stdout")).hasSize(65536).matches("a+");
        });
    }

    @Test
    void unknownGroupByIsAValidationProblem() {
        Tenants tenant = Tenants.fresh();
        OpenSshHosts.Host host = Fleet.get().hosts().get(8);
        tenant.registerHosts(List.of(host), Fleet.get().userPrivateKey());
        String jobId = Jobs.submit(tenant, Map.of("kind", "ping", "targets", Map.of("hosts", List.of(host.name()))));

        given().auth()
                .oauth2(tenant.token("dispatch-viewer"))
                .queryParam("groupBy", "exitCode")
                .get("/api/v1/jobs/" + jobId + "/runs")
                .then()
                .statusCode(400)
                .contentType("application/problem+json")
                .body("type", equalTo("https://dispatch.dev/problems/validation"))
                .body("errors[0].field", equalTo("groupBy"));
        given().auth()
                .oauth2(Tenants.fresh().token("dispatch-viewer"))
                .queryParam("groupBy", "output")
                .get("/api/v1/jobs/" + jobId + "/runs")
                .then()
                .statusCode(404);
    }
}
