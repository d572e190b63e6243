package dev.dispatch.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.dispatch.testing.Fleet;
import dev.dispatch.testing.Jobs;
import dev.dispatch.testing.Tenants;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

@QuarkusTest
class RunsQueuedListenerTest {
    @Inject
    RunsQueuedListener listener;

    @Test
    void aCommittedSubmissionIsAnnouncedToWorkersThroughTheDatabase() {
        Tenants tenant = Tenants.fresh();
        var host = Fleet.get().hosts().get(0);
        tenant.registerHosts(List.of(host), Fleet.get().userPrivateKey());
        await().atMost(Duration.ofSeconds(10)).until(listener::connected);
        long before = listener.notifications();

        String job = Jobs.submit(tenant, Map.of("kind", "ping", "targets", Map.of("hosts", List.of(host.name()))));

        await().atMost(Duration.ofSeconds(10)).until(() -> listener.notifications() > before);
        assertThat(Jobs.awaitFinished(tenant, job).getString("state")).isEqualTo("SUCCEEDED");
    }
}
