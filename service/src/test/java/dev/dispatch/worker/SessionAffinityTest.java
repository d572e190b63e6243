package dev.dispatch.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.dispatch.testing.Fleet;
import dev.dispatch.testing.Jobs;
import dev.dispatch.testing.OpenSshHosts;
import dev.dispatch.testing.Tenants;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

@QuarkusTest
class SessionAffinityTest {
    @Inject
    WorkerService worker;

    @Inject
    EntityManager em;

    @Test
    void aWorkerAdvertisesTheHostsItHoldsSessionsToSoOthersLeaveThemToIt() {
        OpenSshHosts fleet = Fleet.get();
        Tenants tenant = Tenants.fresh();
        List<OpenSshHosts.Host> hosts = fleet.hosts().subList(0, 3);
        tenant.registerHosts(hosts, fleet.userPrivateKey());

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
                        "true"));
        assertThat(Jobs.awaitFinished(tenant, jobId).getString("state")).isEqualTo("SUCCEEDED");

        await().atMost(Duration.ofSeconds(15))
                .untilAsserted(() -> assertThat(hintedHosts(tenant.id))
                        .containsExactlyInAnyOrderElementsOf(
                                hosts.stream().map(OpenSshHosts.Host::name).toList()));
    }

    @SuppressWarnings("unchecked")
    private List<String> hintedHosts(String tenant) {
        return QuarkusTransaction.requiringNew()
                .call(() -> em.createNativeQuery(
                                "select host_name from ssh_session_hint where tenant_id = :t and worker_id = :w",
                                String.class)
                        .setParameter("t", tenant)
                        .setParameter("w", worker.workerId())
                        .getResultList());
    }
}
