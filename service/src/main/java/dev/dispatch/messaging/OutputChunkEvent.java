package dev.dispatch.messaging;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.UUID;

/**
 * One piece of a host run's output on {@code dispatch.output.v1}, keyed {@code jobId/host}. {@code seq} counts
 * from 0 per job, host and attempt across both streams; {@code text} holds valid UTF-8, else {@code bytes} base64.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record OutputChunkEvent(
        UUID jobId, String host, int attempt, String stream, long seq, String text, String bytes, boolean eof) {}
