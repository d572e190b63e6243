package dev.dispatch.api;

import dev.dispatch.tenancy.Caller;
import dev.dispatch.tenancy.CallerResolver;
import io.vertx.core.http.HttpServerRequest;
import jakarta.enterprise.context.RequestScoped;
import org.eclipse.microprofile.jwt.JsonWebToken;

/** The authenticated caller of the current HTTP request, with its remote address as audit source. */
@RequestScoped
public class CallerContext {
    private final JsonWebToken token;
    private final CallerResolver resolver;
    private final HttpServerRequest request;

    public CallerContext(JsonWebToken token, CallerResolver resolver, HttpServerRequest request) {
        this.token = token;
        this.resolver = resolver;
        this.request = request;
    }

    /** The caller; throws when the token names no tenant. */
    public Caller caller() {
        String address = request.remoteAddress() == null
                ? "unknown"
                : request.remoteAddress().hostAddress();
        return resolver.resolve(token, "rest:" + address);
    }

    /** The caller's tenant id. */
    public String tenantId() {
        return caller().tenantId();
    }
}
