package dev.dispatch.api;

import dev.dispatch.DispatchConfig;
import jakarta.ws.rs.container.ContainerRequestContext;
import org.jboss.resteasy.reactive.RestResponse;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/** A worker-only process serves no API: every {@code /api} call gets 404 there. */
public class RoleFilter {
    private final boolean servesApi;

    public RoleFilter(DispatchConfig config) {
        this.servesApi = config.role().servesApi();
    }

    @ServerRequestFilter(preMatching = true)
    RestResponse<Problem> rejectOnWorkers(ContainerRequestContext context) {
        if (servesApi || !context.getUriInfo().getPath().startsWith("/api")) {
            return null;
        }
        return Problem.response(404, "not-found", "Not found", "this process runs the worker role only");
    }
}
