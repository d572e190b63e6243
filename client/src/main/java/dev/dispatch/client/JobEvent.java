package dev.dispatch.client;

import java.util.Map;

/** One event of a job's stream ({@code GET /jobs/{id}/events}), typed by its SSE event name. */
public sealed interface JobEvent
        permits JobEvent.RunStarted, JobEvent.Output, JobEvent.RunFinished, JobEvent.JobFinished {

    /** The SSE id of the event, unique within the job. */
    String id();

    /** {@code run-started}: the run of {@code host} (its {@code attempt}) connected. */
    record RunStarted(String id, String host, int attempt) implements JobEvent {}

    /**
     * {@code output}: a chunk a host printed on {@code stream} ({@code stdout} or {@code stderr}); {@code replay} when
     * it is the stored output of a run that had ended before the subscription. {@code text} is null for non-UTF-8
     * chunks, which arrive as base64 {@code bytes}.
     */
    record Output(String id, String host, int attempt, String stream, String text, String bytes, boolean replay)
            implements JobEvent {
        /** True for standard error. */
        public boolean stderr() {
            return "stderr".equals(stream);
        }
    }

    /** {@code run-finished}: the host's result. */
    record RunFinished(String id, HostRun run) implements JobEvent {}

    /** {@code job-finished}: the job's final state and counts per run state; the stream ends after it. */
    record JobFinished(String id, String jobId, String state, Map<String, Long> summary) implements JobEvent {}
}
