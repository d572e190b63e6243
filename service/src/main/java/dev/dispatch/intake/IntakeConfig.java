package dev.dispatch.intake;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import jakarta.validation.constraints.Min;
import java.time.Duration;

/** Limits and defaults applied to job requests. */
@ConfigMapping(prefix = "dispatch.intake")
public interface IntakeConfig {
    /** Runs of one job at once when the request gives no {@code parallelism}. Default 20. */
    @WithDefault("20")
    @Min(1)
    int defaultParallelism();

    /** Largest {@code parallelism} accepted. Default 1000. */
    @WithDefault("1000")
    @Min(1)
    int maxParallelism();

    /** Command timeout when the request gives none. Default 1h. */
    @WithDefault("1h")
    Duration defaultTimeout();

    /** Longest {@code timeout} accepted. Default 7d. */
    @WithDefault("7d")
    Duration maxTimeout();

    /** Largest stdin {@code input}, in bytes. Default 1 MiB. */
    @WithDefault("1048576")
    @Min(0)
    int maxInputBytes();

    /** Largest inline {@code file.content} of a copy or update, decoded; larger files are artifacts. Default 1 MiB. */
    @WithDefault("1048576")
    @Min(0)
    int maxInlineContentBytes();

    /**
     * Largest request body of every API call but artifact uploads, by its Content-Length (the HTTP server's own
     * limit is raised for artifacts). Default 8 MiB: a job with the largest inline content, base64, fits.
     */
    @WithDefault("8388608")
    @Min(1024)
    long maxRequestBytes();

    /** Most hosts one job may target. Default 10000. */
    @WithDefault("10000")
    @Min(1)
    int maxHosts();

    /**
     * Kafka intake messages handled at once (each needs a database connection while it is stored). Default 8.
     */
    @WithDefault("8")
    @Min(1)
    int kafkaConcurrency();

    /** Largest {@code command}, in bytes (UTF-8). Default 64 KiB. */
    @WithDefault("65536")
    @Min(1)
    int maxCommandBytes();

    /** Most {@code env} entries. Default 100. */
    @WithDefault("100")
    @Min(0)
    int maxEnvEntries();

    /** Largest {@code env}, names and values together, in bytes. Default 64 KiB. */
    @WithDefault("65536")
    @Min(0)
    int maxEnvBytes();

    /** Most labels of a job, and most label selectors in {@code targets.labels}. Default 64. */
    @WithDefault("64")
    @Min(0)
    int maxLabels();

    /** Longest label key or value, and longest host or group name in {@code targets}, in characters. Default 253. */
    @WithDefault("253")
    @Min(1)
    int maxNameLength();

    /** Most groups one job may name in {@code targets.groups}. Default 100. */
    @WithDefault("100")
    @Min(1)
    int maxGroups();

    /**
     * How long after its bearer token expired a Kafka intake message is still accepted, if the token was valid when
     * the message was produced (its record timestamp). Default 1h.
     */
    @WithDefault("1h")
    Duration kafkaTokenGrace();

    /**
     * Kafka intake messages of one poll stored in one transaction (a group commit); a group that fails as a whole is
     * stored one by one. Default 32; 1 stores each message in a transaction of its own.
     */
    @WithDefault("32")
    @Min(1)
    int kafkaGroupSize();
}
