package dev.dispatch.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import dev.dispatch.InvalidRequestException;
import dev.dispatch.artifact.ArtifactNotFoundException;
import dev.dispatch.artifact.ArtifactTooLargeException;
import dev.dispatch.events.TooManySubscribersException;
import dev.dispatch.inventory.CredentialInUseException;
import dev.dispatch.job.HostRunNotFoundException;
import dev.dispatch.job.JobNotFoundException;
import dev.dispatch.tenancy.MissingTenantException;
import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.ForbiddenException;
import io.quarkus.security.UnauthorizedException;
import jakarta.ws.rs.WebApplicationException;
import java.util.stream.Collectors;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.RestResponse;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/** Maps every error to {@code application/problem+json}; no stack traces or class names reach clients. */
public class ProblemMappers {
    private static final Logger LOG = Logger.getLogger(ProblemMappers.class);

    @ServerExceptionMapper
    RestResponse<Problem> invalid(InvalidRequestException e) {
        return Problem.response(400, "validation", "Invalid request", e.getMessage(), e.violations());
    }

    @ServerExceptionMapper
    RestResponse<Problem> jobNotFound(JobNotFoundException e) {
        return Problem.response(404, "not-found", "Not found", e.getMessage());
    }

    @ServerExceptionMapper
    RestResponse<Problem> runNotFound(HostRunNotFoundException e) {
        return Problem.response(404, "not-found", "Not found", e.getMessage());
    }

    @ServerExceptionMapper
    RestResponse<Problem> hostNotFound(HostNotFoundException e) {
        return Problem.response(404, "not-found", "Not found", e.getMessage());
    }

    @ServerExceptionMapper
    RestResponse<Problem> resourceNotFound(ResourceNotFoundException e) {
        return Problem.response(404, "not-found", "Not found", e.getMessage());
    }

    @ServerExceptionMapper
    RestResponse<Problem> artifactNotFound(ArtifactNotFoundException e) {
        return Problem.response(404, "not-found", "Not found", e.getMessage());
    }

    @ServerExceptionMapper
    RestResponse<Problem> tooManySubscribers(TooManySubscribersException e) {
        RestResponse<Problem> r =
                Problem.response(429, "too-many-subscribers", "Too many event streams", e.getMessage());
        r.getHeaders().putSingle("Retry-After", "5");
        return r;
    }

    @ServerExceptionMapper
    RestResponse<Problem> requestTooLarge(RequestTooLargeException e) {
        return Problem.response(413, "request-too-large", "Request too large", e.getMessage());
    }

    @ServerExceptionMapper
    RestResponse<Problem> artifactTooLarge(ArtifactTooLargeException e) {
        return Problem.response(413, "artifact-too-large", "Artifact too large", e.getMessage());
    }

    @ServerExceptionMapper
    RestResponse<InUseProblem> credentialInUse(CredentialInUseException e) {
        return RestResponse.ResponseBuilder.<InUseProblem>create(409)
                .entity(new InUseProblem(
                        Problem.TYPE_BASE + "credential-in-use", "Credential in use", 409, e.getMessage(), e.hosts()))
                .type(Problem.MEDIA_TYPE)
                .build();
    }

    @ServerExceptionMapper
    RestResponse<Problem> alreadyEnded(JobAlreadyEndedException e) {
        return Problem.response(409, "job-ended", "Job already ended", e.getMessage());
    }

    @ServerExceptionMapper
    RestResponse<Problem> missingTenant(MissingTenantException e) {
        return Problem.response(403, "no-tenant", "Token names no tenant", e.getMessage());
    }

    @ServerExceptionMapper({UnauthorizedException.class, AuthenticationFailedException.class})
    RestResponse<Problem> unauthorized(RuntimeException e) {
        RestResponse<Problem> r =
                Problem.response(401, "unauthorized", "Authentication required", "a valid bearer token is required");
        r.getHeaders().putSingle("WWW-Authenticate", "Bearer");
        return r;
    }

    @ServerExceptionMapper
    RestResponse<Problem> forbidden(ForbiddenException e) {
        return Problem.response(403, "forbidden", "Forbidden", "the token's roles do not allow this operation");
    }

    @ServerExceptionMapper({MismatchedInputException.class, JsonMappingException.class, JsonProcessingException.class})
    RestResponse<Problem> malformed(JsonProcessingException e) {
        return malformedBody(e);
    }

    @ServerExceptionMapper
    RestResponse<Problem> web(WebApplicationException e) {
        if (e.getCause() instanceof JsonProcessingException json) {
            return malformedBody(json);
        }
        int status = e.getResponse().getStatus();
        return switch (status) {
            case 404 -> Problem.response(404, "not-found", "Not found", "no such resource");
            case 405 -> Problem.response(405, "method-not-allowed", "Method not allowed", e.getMessage());
            case 406 -> Problem.response(406, "not-acceptable", "Not acceptable", e.getMessage());
            case 415 -> Problem.response(415, "unsupported-media-type", "Unsupported media type", e.getMessage());
            case 400 -> Problem.response(400, "malformed-request", "Malformed request", e.getMessage());
            default -> Problem.response(status, "http-" + status, "HTTP " + status, e.getMessage());
        };
    }

    @ServerExceptionMapper(priority = 10_000)
    RestResponse<Problem> unexpected(Throwable e) {
        LOG.error("unexpected error", e);
        return Problem.response(500, "internal", "Internal error", "the service failed; see its logs");
    }

    private static RestResponse<Problem> malformedBody(JsonProcessingException e) {
        String where = "";
        if (e instanceof JsonMappingException mapping && !mapping.getPath().isEmpty()) {
            where = " at '"
                    + mapping.getPath().stream()
                            .map(ref -> ref.getFieldName() != null ? ref.getFieldName() : "[" + ref.getIndex() + "]")
                            .collect(Collectors.joining("."))
                            .replace(".[", "[")
                    + "'";
        }
        String reason = e.getOriginalMessage() == null ? "unreadable JSON" : e.getOriginalMessage();
        int cut = reason.indexOf(" (class ");
        if (cut > 0) {
            reason = reason.substring(0, cut);
        }
        return Problem.response(
                400,
                "malformed-body",
                "Malformed JSON body",
                "the body is not valid" + where + ": " + reason.replaceAll("[\\r\\n]+", " "));
    }
}
