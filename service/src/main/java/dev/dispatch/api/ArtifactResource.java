package dev.dispatch.api;

import dev.dispatch.artifact.Artifact;
import dev.dispatch.artifact.ArtifactService;
import dev.dispatch.artifact.ArtifactTooLargeException;
import dev.dispatch.tenancy.Roles;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.UriInfo;
import java.io.InputStream;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.jboss.resteasy.reactive.RestResponse;

/** The tenant's content-addressed file store, for copies and updates larger than inline content allows. */
@Path("/api/v1/artifacts")
public class ArtifactResource {
    private final ArtifactService artifacts;
    private final CallerContext caller;

    public ArtifactResource(ArtifactService artifacts, CallerContext caller) {
        this.artifacts = artifacts;
        this.caller = caller;
    }

    /**
     * Stores the raw request body (streamed, up to {@code dispatch.artifacts.max-size}) as an artifact of the caller's
     * tenant: 201 with {@code Location} for new content, 200 when the tenant already had it; 413
     * {@code artifact-too-large} past the limit.
     */
    @Operation(
            operationId = "uploadArtifact",
            summary = "Upload a file into the tenant's content-addressed artifact store")
    @POST
    @Consumes(MediaType.APPLICATION_OCTET_STREAM)
    @Produces(MediaType.APPLICATION_JSON)
    @RolesAllowed({Roles.OPERATOR, Roles.ADMIN})
    public RestResponse<ArtifactResponse> upload(
            InputStream body, @HeaderParam(HttpHeaders.CONTENT_LENGTH) Long length, @Context UriInfo uri) {
        var c = caller.caller();
        if (length != null && length > artifacts.maxSize()) {
            throw new ArtifactTooLargeException(artifacts.maxSize());
        }
        ArtifactService.Stored stored = artifacts.upload(c, body);
        var location = uri.getBaseUriBuilder()
                .path("api/v1/artifacts/{sha256}")
                .build(stored.artifact().sha256());
        ArtifactResponse response = ArtifactResponse.from(stored.artifact());
        return stored.created()
                ? RestResponse.ResponseBuilder.<ArtifactResponse>created(location)
                        .entity(response)
                        .build()
                : RestResponse.ResponseBuilder.ok(response).location(location).build();
    }

    /** The artifact's bytes ({@code application/octet-stream}, streamed); 404 for unknown or other tenants' ones. */
    @Operation(operationId = "downloadArtifact", summary = "Download an artifact by its SHA-256")
    @GET
    @Path("/{sha256}")
    @Produces(MediaType.APPLICATION_OCTET_STREAM)
    @RolesAllowed({Roles.VIEWER, Roles.OPERATOR, Roles.ADMIN})
    public RestResponse<InputStream> download(@PathParam("sha256") String sha256) {
        Artifact artifact = artifacts.get(caller.tenantId(), sha256);
        return RestResponse.ResponseBuilder.ok(artifacts.open(artifact), MediaType.APPLICATION_OCTET_STREAM_TYPE)
                .header(HttpHeaders.CONTENT_LENGTH, artifact.size())
                .header(HttpHeaders.ETAG, "\"" + artifact.sha256() + "\"")
                .build();
    }
}
