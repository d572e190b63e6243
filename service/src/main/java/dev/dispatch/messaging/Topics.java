package dev.dispatch.messaging;

/** Every Kafka topic dispatch reads or writes, in one place (the contract lists them with their payloads). */
public final class Topics {
    /** Job requests submitted over Kafka (read by the api role). */
    public static final String JOB_REQUESTS = "dispatch.job-requests.v1";
    /** Intake messages that were rejected, with the reason in headers. */
    public static final String JOB_REQUESTS_DLQ = "dispatch.job-requests.dlq.v1";
    /** One record per finished host run, keyed by job id. */
    public static final String HOST_RESULTS = "dispatch.host-results.v1";
    /** Job lifecycle events, keyed by job id. */
    public static final String JOB_EVENTS = "dispatch.job-events.v1";
    /** Output chunks, keyed {@code jobId/host}, in {@code seq} order per host. */
    public static final String OUTPUT = "dispatch.output.v1";
    /** Signed audit chain heads, keyed by tenant; audit verification reads them back. Never compacted. */
    public static final String AUDIT_CHECKPOINTS = "dispatch.audit-checkpoints.v1";

    private Topics() {}
}
