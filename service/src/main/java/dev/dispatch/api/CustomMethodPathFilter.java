package dev.dispatch.api;

import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.UriBuilder;
import java.util.List;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/**
 * Routes colon paths such as {@code /api/v1/hosts:import} also when a client percent-encodes the colon
 * ({@code hosts%3Aimport}), as some HTTP clients do for every {@code ':'} in a path; routing matches the raw path.
 */
public class CustomMethodPathFilter {
    private static final List<String> PATHS = List.of("/api/v1/hosts:import");

    @ServerRequestFilter(preMatching = true)
    void decodeColon(ContainerRequestContext context) {
        String raw = context.getUriInfo().getRequestUri().getRawPath();
        if (raw == null || !raw.contains("%3")) {
            return;
        }
        for (String path : PATHS) {
            String encoded = path.replace(":", "%3A");
            if (raw.equalsIgnoreCase(encoded)) {
                context.setRequestUri(UriBuilder.fromUri(context.getUriInfo().getRequestUri())
                        .replacePath(path)
                        .build());
                return;
            }
        }
    }
}
