package dev.dispatch.api;

import dev.dispatch.intake.IntakeConfig;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.Response;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/**
 * Refuses oversized bodies before they are parsed: the HTTP server's limit is as large as the biggest artifact, and
 * only artifact uploads stream; every other body (JSON, TOML, known_hosts text) is parsed in memory, so it is held to
 * {@code dispatch.intake.max-request-bytes}. Judged by Content-Length; chunked bodies stay under the server's limit.
 */
public class RequestSizeFilter {
    private static final String ARTIFACTS = "/api/v1/artifacts";

    private final IntakeConfig config;

    public RequestSizeFilter(IntakeConfig config) {
        this.config = config;
    }

    @ServerRequestFilter(preMatching = true)
    Response limit(ContainerRequestContext context) {
        long length = context.getLength();
        if (length <= config.maxRequestBytes()) {
            return null;
        }
        String path = context.getUriInfo().getRequestUri().getRawPath();
        if (path != null && (path.equals(ARTIFACTS) || path.equals(ARTIFACTS + "/"))) {
            return null;
        }
        return Problem.response(413, "request-too-large", "Request too large", "the body has " + length
                + " bytes; at most " + config.maxRequestBytes() + " are accepted here (large files go to "
                + ARTIFACTS + ")").toResponse();
    }
}
