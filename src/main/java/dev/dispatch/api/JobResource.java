package dev.dispatch.api;

import dev.dispatch.InvalidRequestException;
import dev.dispatch.intake.JobIntakeService;
import dev.dispatch.intake.SubmissionResult;
import dev.dispatch.job.JobQueryService;
import dev.dispatch.job.JobRequest;
import dev.dispatch.job.RunOutput;
import dev.dispatch.tenancy.Roles;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.UriInfo;
import jakarta.ws.rs.core.Context;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.util.List;
import org.jboss.resteasy.reactive.RestResponse;

/** Submit jobs and read their state, runs and output. */
@Path("/api/v1/jobs")
@Produces(MediaType.APPLICATION_JSON)
public class JobResource {
    private final JobIntakeService intake;
    private final JobQueryService queries;
    private final CallerContext caller;

    public JobResource(JobIntakeService intake, JobQueryService queries, CallerContext caller) {
        this.intake = intake;
        this.queries = queries;
        this.caller = caller;
    }

    /** Submits a job: 202 with Location for a new job, 200 with the first job for a repeated idempotency key. */
    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @RolesAllowed({Roles.OPERATOR, Roles.ADMIN})
    public RestResponse<JobResponse> submit(JobRequest request, @HeaderParam("Idempotency-Key") String key,
            @Context UriInfo uri) {
        if (request == null) {
            throw InvalidRequestException.of("body", "a job request is required");
        }
        var c = caller.caller();
        SubmissionResult result = intake.submit(c, request, key);
        var view = queries.get(c.tenantId(), result.job().id.toString());
        JobResponse body = JobResponse.from(view.job(), view.summary());
        var location = uri.getBaseUriBuilder().path("api/v1/jobs/{id}").build(result.job().id);
        return result.created()
                ? RestResponse.ResponseBuilder.accepted(body).location(location).build()
                : RestResponse.ResponseBuilder.ok(body).location(location).build();
    }

    /** The job, its request and run summary. */
    @GET
    @Path("/{id}")
    @RolesAllowed({Roles.VIEWER, Roles.OPERATOR, Roles.ADMIN})
    public JobResponse get(@PathParam("id") String id) {
        var view = queries.get(caller.tenantId(), id);
        return JobResponse.from(view.job(), view.summary());
    }

    /** The job's host runs in submission order. */
    @GET
    @Path("/{id}/runs")
    @RolesAllowed({Roles.VIEWER, Roles.OPERATOR, Roles.ADMIN})
    public List<HostRunResponse> runs(@PathParam("id") String id) {
        return queries.runs(caller.tenantId(), id).stream().map(HostRunResponse::from).toList();
    }

    /** Stored output of one stream of a host run (head and tail kept when capped), as the host printed it. */
    @GET
    @Path("/{id}/runs/{host}/output")
    @Produces("text/plain;charset=utf-8")
    @RolesAllowed({Roles.VIEWER, Roles.OPERATOR, Roles.ADMIN})
    public RestResponse<InputStream> output(@PathParam("id") String id, @PathParam("host") String host,
            @QueryParam("stream") @DefaultValue("stdout") String stream) {
        if (!stream.equals("stdout") && !stream.equals("stderr")) {
            throw InvalidRequestException.of("stream", "must be stdout or stderr");
        }
        byte[] data = queries.output(caller.tenantId(), id, host, stream).map((RunOutput o) -> o.data)
                .orElse(new byte[0]);
        return RestResponse.ResponseBuilder.<InputStream>ok(new ByteArrayInputStream(data), "text/plain;charset=utf-8")
                .build();
    }
}
