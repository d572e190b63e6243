package dev.dispatch.api;

import dev.dispatch.InvalidRequestException;
import dev.dispatch.artifact.Artifact;
import dev.dispatch.artifact.ArtifactService;
import dev.dispatch.events.JobEventsService;
import dev.dispatch.intake.JobIntakeService;
import dev.dispatch.intake.SubmissionResult;
import dev.dispatch.job.HostRun;
import dev.dispatch.job.JobKind;
import dev.dispatch.job.JobQueryService;
import dev.dispatch.job.JobRequest;
import dev.dispatch.job.JobState;
import dev.dispatch.job.RunOutput;
import dev.dispatch.tenancy.Roles;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.mutiny.Multi;
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
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.UriInfo;
import jakarta.ws.rs.sse.OutboundSseEvent;
import jakarta.ws.rs.sse.Sse;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.jboss.resteasy.reactive.RestResponse;

/** Submit jobs and read their state, runs and output. */
@Path("/api/v1/jobs")
@Produces(MediaType.APPLICATION_JSON)
public class JobResource {
    private final JobIntakeService intake;
    private final JobQueryService queries;
    private final CallerContext caller;
    private final JobEventsService events;
    private final ArtifactService artifacts;
    private final ApiConfig api;

    public JobResource(
            JobIntakeService intake,
            JobQueryService queries,
            CallerContext caller,
            JobEventsService events,
            ArtifactService artifacts,
            ApiConfig api) {
        this.api = api;
        this.artifacts = artifacts;
        this.intake = intake;
        this.queries = queries;
        this.caller = caller;
        this.events = events;
    }

    /**
     * Submits a job: 202 with Location for a new job, 200 with the first job for a repeated idempotency key.
     * With {@code ?dryRun=true} it only validates and resolves targets (200 with the plan), touching nothing.
     */
    @Operation(operationId = "submitJob", summary = "Submit a job (202 with Location), or validate it only with dryRun")
    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @RolesAllowed({Roles.OPERATOR, Roles.ADMIN})
    public RestResponse<?> submit(
            JobRequest request,
            @HeaderParam("Idempotency-Key") String key,
            @QueryParam("dryRun") @DefaultValue("false") boolean dryRun,
            @Context UriInfo uri) {
        if (request == null) {
            throw InvalidRequestException.of("body", "a job request is required");
        }
        var c = caller.caller();
        if (dryRun) {
            return RestResponse.ok(DryRunResponse.from(intake.plan(c, request)));
        }
        return accepted(c.tenantId(), intake.submit(c, request, key), uri);
    }

    /** Cancels the job: queued runs are skipped, running commands signalled and closed; 409 if it already ended. */
    @Operation(operationId = "cancelJob", summary = "Cancel a job: queued runs are skipped, running commands stopped")
    @POST
    @Path("/{id}/cancel")
    @RolesAllowed({Roles.OPERATOR, Roles.ADMIN})
    public RestResponse<JobResponse> cancel(@PathParam("id") String id) {
        var c = caller.caller();
        if (!intake.cancel(c, id)) {
            throw new JobAlreadyEndedException(id);
        }
        var view = queries.get(c.tenantId(), id);
        return RestResponse.ResponseBuilder.accepted(JobResponse.from(view.job(), view.summary()))
                .build();
    }

    /** Submits a new job over the hosts whose runs ended in the given states (default: all but SUCCEEDED). */
    @Operation(
            operationId = "retryJob",
            summary = "Submit a new job over the hosts whose runs ended in the given states")
    @POST
    @Path("/{id}/retry")
    @RolesAllowed({Roles.OPERATOR, Roles.ADMIN})
    public RestResponse<?> retry(@PathParam("id") String id, RetryJobRequest body, @Context UriInfo uri) {
        var c = caller.caller();
        return accepted(c.tenantId(), intake.retry(c, id, body == null ? null : body.states()), uri);
    }

    /**
     * Server-Sent Events of the job: first what already happened (replayed from PostgreSQL), then live
     * {@code run-started}, {@code output}, {@code run-finished}; the stream ends after {@code job-finished}.
     */
    @Operation(
            operationId = "streamJobEvents",
            summary = "Stream the job's events (Server-Sent Events, replay then live)")
    @GET
    @Path("/{id}/events")
    @Produces(MediaType.SERVER_SENT_EVENTS)
    @RolesAllowed({Roles.VIEWER, Roles.OPERATOR, Roles.ADMIN})
    @Blocking
    public Multi<OutboundSseEvent> events(@PathParam("id") String id, @Context Sse sse) {
        return events.subscribe(caller.tenantId(), id)
                .map(e -> e.isComment()
                        ? sse.newEventBuilder().comment(e.name()).build()
                        : sse.newEventBuilder()
                                .name(e.name())
                                .id(e.id())
                                // no mediaType(..): RESTEasy Reactive writes a set one as a "content-type:" line
                                .data(String.class, e.data())
                                .build());
    }

    private RestResponse<JobResponse> accepted(String tenantId, SubmissionResult result, UriInfo uri) {
        var view = queries.get(tenantId, result.job().id.toString());
        JobResponse body = JobResponse.from(view.job(), view.summary());
        var location = uri.getBaseUriBuilder().path("api/v1/jobs/{id}").build(result.job().id);
        return result.created()
                ? RestResponse.ResponseBuilder.accepted(body).location(location).build()
                : RestResponse.ResponseBuilder.ok(body).location(location).build();
    }

    /**
     * The tenant's jobs, newest first. Filters: {@code state}, {@code kind}, {@code label} ({@code key=value} or
     * {@code key}), {@code since} (ISO-8601 instant). Pass {@code nextCursor} back as {@code cursor} for the next page.
     */
    @Operation(operationId = "listJobs", summary = "List jobs, newest first, paged")
    @GET
    @RolesAllowed({Roles.VIEWER, Roles.OPERATOR, Roles.ADMIN})
    public JobPageResponse list(
            @QueryParam("state") String state,
            @QueryParam("kind") String kind,
            @QueryParam("label") String label,
            @QueryParam("since") String since,
            @QueryParam("cursor") String cursor,
            @QueryParam("limit") @DefaultValue("50") int limit) {
        var violations = new ArrayList<InvalidRequestException.Violation>();
        JobState stateFilter = null;
        if (state != null) {
            try {
                stateFilter = JobState.valueOf(state);
            } catch (IllegalArgumentException e) {
                violations.add(new InvalidRequestException.Violation("state", "unknown job state '" + state + "'"));
            }
        }
        Instant sinceFilter = null;
        if (since != null) {
            try {
                sinceFilter = Instant.parse(since);
            } catch (DateTimeParseException e) {
                violations.add(new InvalidRequestException.Violation("since", "is not an ISO-8601 instant"));
            }
        }
        if (limit < 1 || limit > 500) {
            violations.add(new InvalidRequestException.Violation("limit", "must be between 1 and 500"));
        }
        if (!violations.isEmpty()) {
            throw new InvalidRequestException(violations);
        }
        var page = queries.list(
                caller.tenantId(), new JobQueryService.Filter(stateFilter, kind, label, sinceFilter), cursor, limit);
        return new JobPageResponse(
                page.jobs().stream()
                        .map(v -> JobResponse.from(v.job(), v.summary()))
                        .toList(),
                page.nextCursor());
    }

    /** The job, its request and run summary. */
    @Operation(operationId = "getJob", summary = "Get a job with its per-state run summary")
    @GET
    @Path("/{id}")
    @RolesAllowed({Roles.VIEWER, Roles.OPERATOR, Roles.ADMIN})
    public JobResponse get(@PathParam("id") String id) {
        var view = queries.get(caller.tenantId(), id);
        return JobResponse.from(view.job(), view.summary());
    }

    /**
     * The job's host runs in submission order; with {@code ?groupBy=output}, hosts grouped by identical stored stdout
     * and outcome ({@link RunGroupResponse}), largest group first.
     */
    @Operation(operationId = "listJobRuns", summary = "List the job's host runs, or group them by identical output")
    @GET
    @Path("/{id}/runs")
    @RolesAllowed({Roles.VIEWER, Roles.OPERATOR, Roles.ADMIN})
    public List<?> runs(@PathParam("id") String id, @QueryParam("groupBy") String groupBy) {
        if (groupBy != null) {
            return runGroups(id, groupBy);
        }
        return queries.runs(caller.tenantId(), id).stream()
                .map(HostRunResponse::from)
                .toList();
    }

    private List<RunGroupResponse> runGroups(String id, String groupBy) {
        if (!groupBy.equals("output")) {
            throw InvalidRequestException.of("groupBy", "must be output");
        }
        return queries
                .runsByOutput(caller.tenantId(), id, api.groupedOutputBytes(), api.groupedOutputTotalBytes())
                .stream()
                .map(RunGroupResponse::from)
                .toList();
    }

    /**
     * Stored output of one stream of a host run (head and tail kept when capped), as the host printed it; for a
     * {@code fetch} job the fetched file ({@code application/octet-stream}, streamed; {@code stream} ignored), 404
     * when the run fetched none.
     */
    @Operation(operationId = "getRunOutput", summary = "Get one host run's output")
    @GET
    @Path("/{id}/runs/{host}/output")
    // One fixed type, so the stream writer is chosen at build time; the fetch branch sets its own Content-Type.
    @Produces("text/plain;charset=utf-8")
    @RolesAllowed({Roles.VIEWER, Roles.OPERATOR, Roles.ADMIN})
    public RestResponse<InputStream> output(
            @PathParam("id") String id,
            @PathParam("host") String host,
            @QueryParam("stream") @DefaultValue("stdout") String stream) {
        if (!stream.equals("stdout") && !stream.equals("stderr")) {
            throw InvalidRequestException.of("stream", "must be stdout or stderr");
        }
        String tenantId = caller.tenantId();
        if (JobKind.FETCH.wireName().equals(queries.get(tenantId, id).job().kind)) {
            HostRun run = queries.run(tenantId, id, host);
            if (run.artifactSha256 == null) {
                throw new ResourceNotFoundException(
                        "no file was fetched from " + host + " (the run is " + run.state + ")");
            }
            Artifact file = artifacts.get(tenantId, run.artifactSha256);
            return RestResponse.ResponseBuilder.ok(artifacts.open(file), MediaType.APPLICATION_OCTET_STREAM_TYPE)
                    .header("Content-Length", file.size())
                    .build();
        }
        byte[] data = queries.output(caller.tenantId(), id, host, stream)
                .map((RunOutput o) -> o.data)
                .orElse(new byte[0]);
        return RestResponse.ResponseBuilder.<InputStream>ok(new ByteArrayInputStream(data), "text/plain;charset=utf-8")
                .build();
    }
}
