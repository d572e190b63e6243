package dev.dispatch.client;

import java.io.BufferedReader;
import java.io.IOException;

/** Reads Server-Sent Events (the WHATWG event-stream format) from a line reader; comments are skipped. */
final class SseReader {
    record Event(String name, String id, String data) {}

    private final BufferedReader in;

    SseReader(BufferedReader in) {
        this.in = in;
    }

    /** The next event, or null at the end of the stream. */
    Event next() throws IOException {
        String name = null;
        String id = null;
        StringBuilder data = null;
        String line;
        while ((line = in.readLine()) != null) {
            if (line.isEmpty()) {
                if (data != null || name != null) {
                    return new Event(name == null ? "message" : name, id, data == null ? "" : data.toString());
                }
                continue;
            }
            if (line.startsWith(":")) {
                continue;
            }
            int colon = line.indexOf(':');
            String field = colon < 0 ? line : line.substring(0, colon);
            String value = colon < 0 ? "" : line.substring(colon + 1);
            if (value.startsWith(" ")) {
                value = value.substring(1);
            }
            switch (field) {
                case "event" -> name = value;
                case "id" -> id = value;
                case "data" -> {
                    if (data == null) {
                        data = new StringBuilder(value);
                    } else {
                        data.append('\n').append(value);
                    }
                }
                default -> {
                    // retry and unknown fields are ignored, as the format says
                }
            }
        }
        return null;
    }
}
