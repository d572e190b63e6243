package dev.dispatch.client;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.util.List;

/** One page of {@code GET /jobs}, newest first; {@code nextCursor} is null on the last page. */
@JsonIgnoreProperties(ignoreUnknown = true)
public record JobPage(List<Job> items, String nextCursor) {}
