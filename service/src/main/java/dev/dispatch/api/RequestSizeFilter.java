package dev.dispatch.api;

import dev.dispatch.intake.IntakeConfig;
import jakarta.enterprise.inject.Instance;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.ext.Provider;
import jakarta.ws.rs.ext.ReaderInterceptor;
import jakarta.ws.rs.ext.ReaderInterceptorContext;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/**
 * Refuses oversized bodies before they are parsed: the HTTP server's limit is as large as the biggest artifact, and
 * only artifact uploads stream; every other body (JSON, TOML, known_hosts text) is parsed in memory, so it is held to
 * {@code dispatch.intake.max-request-bytes}. A declared Content-Length over the limit is refused before a byte is
 * read; a body without one (chunked) is counted as it arrives and refused at the first byte past the limit, before
 * any of it reaches a parser.
 */
@Provider
public class RequestSizeFilter implements ReaderInterceptor {
    private static final String ARTIFACTS = "/api/v1/artifacts";

    private final Instance<IntakeConfig> intake;

    /** Looked up per request: as a reader interceptor this is built before configuration mappings exist. */
    public RequestSizeFilter(Instance<IntakeConfig> intake) {
        this.intake = intake;
    }

    /**
     * Bodies of unknown length: read up to the limit into memory, and only then hand them to the parser. Endpoints
     * that take the body as an {@code InputStream} (artifact uploads) stream it and keep their own cap.
     */
    @Override
    public Object aroundReadFrom(ReaderInterceptorContext context) throws IOException {
        if (context.getHeaders().getFirst("Content-Length") == null && context.getType() != InputStream.class) {
            long max = intake.get().maxRequestBytes();
            InputStream in = context.getInputStream();
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            byte[] buffer = new byte[16384];
            for (int n; (n = in.read(buffer)) >= 0; ) {
                if (body.size() + n > max) {
                    throw new RequestTooLargeException(
                            "the body has more than " + max + " bytes; at most " + max
                                    + " are accepted here (large files go to " + ARTIFACTS + ")",
                            max);
                }
                body.write(buffer, 0, n);
            }
            context.setInputStream(new ByteArrayInputStream(body.toByteArray()));
        }
        return context.proceed();
    }

    private static boolean isArtifactUpload(String path) {
        return path != null && (path.equals(ARTIFACTS) || path.equals(ARTIFACTS + "/"));
    }

    @ServerRequestFilter(preMatching = true)
    Response limit(ContainerRequestContext context) {
        IntakeConfig config = intake.get();
        long length = context.getLength();
        if (length <= config.maxRequestBytes()) {
            return null;
        }
        if (isArtifactUpload(context.getUriInfo().getRequestUri().getRawPath())) {
            return null;
        }
        return Problem.response(
                        413,
                        "request-too-large",
                        "Request too large",
                        "the body has " + length
                                + " bytes; at most " + config.maxRequestBytes()
                                + " are accepted here (large files go to "
                                + ARTIFACTS + ")")
                .toResponse();
    }
}
