package dev.dispatch.events;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.dispatch.messaging.OutputChunkEvent;

/** The data of an {@code output} event: {@code text} when the chunk is valid UTF-8, else {@code bytes} (base64). */
record OutputData(
        String host,
        int attempt,
        String stream,
        long seq,
        @JsonInclude(JsonInclude.Include.NON_NULL) String text,
        @JsonInclude(JsonInclude.Include.NON_NULL) String bytes) {
    static OutputData from(OutputChunkEvent chunk) {
        return new OutputData(
                chunk.host(),
                chunk.attempt(),
                chunk.stream(),
                chunk.seq(),
                chunk.text(),
                chunk.text() != null ? null : chunk.bytes());
    }
}
