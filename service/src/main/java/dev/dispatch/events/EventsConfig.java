package dev.dispatch.events;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import jakarta.validation.constraints.Min;
import java.time.Duration;

/** Live job event streams ({@code GET /jobs/{id}/events}): how they watch PostgreSQL and Kafka, and their limits. */
@ConfigMapping(prefix = "dispatch.events")
public interface EventsConfig {
    /** How often the run and job states of all watched jobs are read (one query for all). Default 300ms. */
    @WithDefault("300ms")
    Duration pollInterval();

    /**
     * How long a finished run's {@code run-finished} waits for the end of its output on Kafka, so that output comes
     * first; after this it is sent anyway. Default 2s.
     */
    @WithDefault("2s")
    Duration outputGrace();

    /**
     * Bytes of live events one subscriber may have waiting (a slow client); beyond that its stream ends with an
     * {@code overflow} event. Default 4 MiB.
     */
    @WithDefault("4194304")
    @Min(65536)
    int subscriberBufferBytes();

    /** The Kafka consumer of output chunks is closed after no job was watched for this long. Default 60s. */
    @WithDefault("60s")
    Duration idleTimeout();

    /**
     * A stream that sent nothing for this long gets an SSE comment ({@code : keep-alive}), so proxies and load
     * balancers keep it open and a vanished client is noticed. Default 15s.
     */
    @WithDefault("15s")
    Duration keepAlive();

    /** Most open event streams of this process, all jobs together; one more is refused with 429. Default 1000. */
    @WithDefault("1000")
    @Min(1)
    int maxSubscribers();

    /** Most open event streams of one job in this process; one more is refused with 429. Default 50. */
    @WithDefault("50")
    @Min(1)
    int maxSubscribersPerJob();
}
