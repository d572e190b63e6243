package dev.dispatch.api;

import dev.dispatch.InvalidRequestException;
import dev.dispatch.inventory.InventoryService;
import dev.dispatch.tenancy.Roles;
import dev.dispatch.tenancy.TenantSettings;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.openapi.annotations.Operation;

/** The caller's tenant's own settings: default host key policy and whether {@code off} is allowed. */
@Path("/api/v1/tenant")
@Produces(MediaType.APPLICATION_JSON)
public class TenantResource {
    private final InventoryService inventory;
    private final CallerContext caller;

    public TenantResource(InventoryService inventory, CallerContext caller) {
        this.inventory = inventory;
        this.caller = caller;
    }

    /** Body of {@code PUT /tenant}; an omitted field keeps its value. */
    public record PutTenantRequest(String hostKeyPolicy, Boolean allowHostKeyPolicyOff) {}

    /** The tenant's settings. */
    public record TenantResponse(String tenant, String hostKeyPolicy, boolean allowHostKeyPolicyOff) {
        static TenantResponse from(String tenant, TenantSettings s) {
            return new TenantResponse(tenant, s.hostKeyPolicy(), s.allowHostKeyPolicyOff());
        }
    }

    /** The settings (defaults: {@code strict}, {@code off} not allowed). */
    @Operation(operationId = "getTenantSettings", summary = "Get the caller's tenant settings")
    @GET
    @RolesAllowed({Roles.VIEWER, Roles.OPERATOR, Roles.ADMIN})
    public TenantResponse get() {
        return TenantResponse.from(caller.tenantId(), inventory.tenantSettings(caller.tenantId()));
    }

    /** Changes the settings (audited as {@code tenant.update}); answers them. */
    @Operation(operationId = "putTenantSettings", summary = "Replace the caller's tenant settings")
    @PUT
    @Consumes(MediaType.APPLICATION_JSON)
    @RolesAllowed(Roles.ADMIN)
    public TenantResponse put(PutTenantRequest body) {
        if (body == null) {
            throw InvalidRequestException.of("body", "a settings body is required");
        }
        return TenantResponse.from(
                caller.tenantId(),
                inventory.putTenantSettings(caller.caller(), body.hostKeyPolicy(), body.allowHostKeyPolicyOff()));
    }
}
