package dev.dispatch.intake;

import io.smallrye.reactive.messaging.health.HealthReport.ChannelInfo;
import io.smallrye.reactive.messaging.providers.extension.HealthCenter;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Liveness;
import org.eclipse.microprofile.health.Readiness;

/**
 * {@code kafka-intake}: DOWN once the Kafka intake consumer has died (a poll error the client cannot recover from, or
 * a failure that escaped {@link JobSubmissionConsumer}), which SmallRye never restarts by itself. As a liveness check
 * it gets the pod restarted, and with it the consumer, which resumes from the last committed offset (redelivered
 * messages are deduplicated by idempotency key). A broker or database outage does not make it DOWN: the consumer
 * outlives those. Only SmallRye's per-channel liveness of the intake channel counts here; the other channels' (the
 * producers report a failed send as a failure) would restart pods during an ordinary broker blip.
 */
@Liveness
@Readiness
@ApplicationScoped
public class IntakeHealthCheck implements HealthCheck {
    private final HealthCenter health;
    private final boolean enabled;

    public IntakeHealthCheck(
            HealthCenter health,
            @ConfigProperty(name = "mp.messaging.incoming.job-submissions.enabled") boolean enabled) {
        this.health = health;
        this.enabled = enabled;
    }

    @Override
    public HealthCheckResponse call() {
        var response = HealthCheckResponse.named("kafka-intake").withData("enabled", enabled);
        if (enabled) {
            for (ChannelInfo channel : health.getLiveness().getChannels()) {
                if (!channel.isOk()
                        && (JobSubmissionConsumer.CHANNEL.equals(channel.getChannel())
                                || channel.getChannel().contains(JobSubmissionConsumer.class.getSimpleName()))) {
                    return response.down()
                            .withData("reason", String.valueOf(channel.getMessage()))
                            .build();
                }
            }
        }
        return response.up().build();
    }
}
