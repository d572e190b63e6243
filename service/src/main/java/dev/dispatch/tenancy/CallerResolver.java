package dev.dispatch.tenancy;

import jakarta.enterprise.context.ApplicationScoped;
import java.util.Set;
import java.util.regex.Pattern;
import org.eclipse.microprofile.jwt.JsonWebToken;

/** Turns a verified JWT into a {@link Caller}; rejects tokens without a well-formed {@code tenant} claim. */
@ApplicationScoped
public class CallerResolver {
    private static final Pattern TENANT_ID = Pattern.compile("[a-z0-9][a-z0-9._-]{0,62}");

    /** The caller behind a verified token. */
    public Caller resolve(JsonWebToken token, String source) {
        Object claim = token.getClaim("tenant");
        String tenant = claim == null ? null : claim.toString();
        if (tenant == null || tenant.isBlank()) {
            throw new MissingTenantException("the token has no 'tenant' claim");
        }
        if (!TENANT_ID.matcher(tenant).matches()) {
            throw new MissingTenantException("the token's 'tenant' claim is not a valid tenant id");
        }
        Set<String> groups = token.getGroups() == null ? Set.of() : Set.copyOf(token.getGroups());
        return new Caller(tenant, token.getName() == null ? token.getSubject() : token.getName(), groups, source);
    }
}
