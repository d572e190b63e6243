package dev.dispatch.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.dispatch.InvalidRequestException.Violation;
import java.util.List;
import org.jboss.resteasy.reactive.RestResponse;

/**
 * An RFC 9457 problem document. {@code type} is a stable URI per problem kind (listed in docs/contract.md); {@code title}
 * is fixed per type; {@code detail} explains this occurrence; {@code errors} names each invalid field.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Problem(String type, String title, int status, String detail, List<Violation> errors) {
    /** Base of every problem type URI. */
    public static final String TYPE_BASE = "https://dispatch.dev/problems/";
    /** Media type of problem documents. */
    public static final String MEDIA_TYPE = "application/problem+json";

    /** A problem response with the given status, type slug, title and detail. */
    public static RestResponse<Problem> response(
            int status, String slug, String title, String detail, List<Violation> errors) {
        return RestResponse.ResponseBuilder.<Problem>create(status)
                .entity(new Problem(TYPE_BASE + slug, title, status, detail, errors))
                .type(MEDIA_TYPE)
                .build();
    }

    /** A problem response without field errors. */
    public static RestResponse<Problem> response(int status, String slug, String title, String detail) {
        return response(status, slug, title, detail, null);
    }
}
