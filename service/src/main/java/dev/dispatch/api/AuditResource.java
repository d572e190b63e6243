package dev.dispatch.api;

import dev.dispatch.InvalidRequestException;
import dev.dispatch.audit.AuditEvent;
import dev.dispatch.audit.AuditService;
import dev.dispatch.tenancy.Roles;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.eclipse.microprofile.openapi.annotations.Operation;

/** The tenant's audit trail: who did what, when, from where, with what outcome; and a check of its hash chain. */
@Path("/api/v1/audit")
@Produces(MediaType.APPLICATION_JSON)
public class AuditResource {
    private final AuditService audit;
    private final CallerContext caller;

    public AuditResource(AuditService audit, CallerContext caller) {
        this.audit = audit;
        this.caller = caller;
    }

    /** One audit record; {@code seq} is its place in the tenant's chain, {@code hash} its HMAC chain value. */
    public record AuditEventResponse(
            long id,
            long seq,
            Instant at,
            String actor,
            String action,
            String target,
            String outcome,
            String source,
            Map<String, Object> details,
            String hash) {
        static AuditEventResponse from(AuditEvent e) {
            return new AuditEventResponse(
                    e.id,
                    e.seq,
                    e.at,
                    e.actor,
                    e.action,
                    e.target,
                    e.outcome,
                    e.source,
                    e.details,
                    e.hash == null ? null : HexFormat.of().formatHex(e.hash));
        }
    }

    /** A page of audit records; pass {@code nextBefore} as {@code before} for older ones. */
    public record AuditPageResponse(List<AuditEventResponse> items, Long nextBefore) {}

    /**
     * Result of recomputing the chain and comparing it with the signed checkpoints on Kafka: {@code brokenAt} is the
     * first record that was altered or out of place (null when records are missing at the end), {@code reason} says
     * what is wrong, {@code checkpointSeq} is the highest checkpointed record and {@code checkpoints} how many
     * checkpoints were compared.
     */
    public record VerificationResponse(
            boolean valid, long checked, Long brokenAt, String reason, Long checkpointSeq, int checkpoints) {}

    /** Newest first; filter by {@code action}; page with {@code before} (a record id). */
    @Operation(operationId = "listAuditEvents", summary = "List the tenant's audit events, newest first, paged")
    @GET
    @RolesAllowed({Roles.VIEWER, Roles.OPERATOR, Roles.ADMIN})
    public AuditPageResponse list(
            @QueryParam("action") String action,
            @QueryParam("before") Long before,
            @QueryParam("limit") @DefaultValue("100") int limit) {
        if (limit < 1 || limit > 1000) {
            throw InvalidRequestException.of("limit", "must be between 1 and 1000");
        }
        List<AuditEventResponse> items = audit.list(caller.tenantId(), before, action, limit).stream()
                .map(AuditEventResponse::from)
                .toList();
        return new AuditPageResponse(
                items, items.size() == limit ? items.get(items.size() - 1).id() : null);
    }

    /** Recomputes the tenant's HMAC chain from the first record and checks it against its published checkpoints. */
    @Operation(
            operationId = "verifyAuditTrail",
            summary = "Verify the tenant's audit hash chain against its checkpoints")
    @GET
    @Path("/verify")
    @RolesAllowed(Roles.ADMIN)
    public VerificationResponse verify() {
        var result = audit.verify(caller.tenantId());
        return new VerificationResponse(
                result.valid(),
                result.checked(),
                result.brokenAt(),
                result.reason(),
                result.checkpointSeq(),
                result.checkpoints());
    }
}
