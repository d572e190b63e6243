package dev.dispatch.client;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.util.Map;

/**
 * A job as the server reports it; times are ISO-8601 instants as sent. {@code summary} counts host runs per state
 * ({@code SUCCEEDED}, {@code FAILED}, ...).
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record Job(
        String id,
        String kind,
        String state,
        String submittedBy,
        String idempotencyKey,
        int hostCount,
        boolean cancelRequested,
        String createdAt,
        String startedAt,
        String finishedAt,
        Map<String, Long> summary) {

    /** True once the job reached {@code SUCCEEDED}, {@code FAILED} or {@code CANCELLED}. */
    public boolean ended() {
        return "SUCCEEDED".equals(state) || "FAILED".equals(state) || "CANCELLED".equals(state);
    }
}
