package dev.dispatch.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/** One page of the job list; {@code nextCursor} is absent on the last page. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record JobPageResponse(List<JobResponse> items, String nextCursor) {}
