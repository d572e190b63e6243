package dev.dispatch.api;

import java.util.List;

/** Body of {@code POST /jobs/{id}/retry}: which run end states to repeat (default: all but SUCCEEDED). */
public record RetryJobRequest(List<String> states) {}
