package dev.dispatch.api;

import dev.dispatch.InvalidRequestException;
import dev.dispatch.inventory.InventoryService;
import dev.dispatch.tenancy.Roles;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.eclipse.microprofile.openapi.annotations.Operation;

/** The tenant's host inventory. */
@Path("/api/v1/hosts")
@Produces(MediaType.APPLICATION_JSON)
public class HostResource {
    private final InventoryService inventory;
    private final CallerContext caller;

    public HostResource(InventoryService inventory, CallerContext caller) {
        this.inventory = inventory;
        this.caller = caller;
    }

    /** Creates or replaces a host; answers the stored host. */
    @Operation(operationId = "putHost", summary = "Create or replace an inventory host")
    @PUT
    @Path("/{name}")
    @Consumes(MediaType.APPLICATION_JSON)
    @RolesAllowed(Roles.ADMIN)
    public HostResponse put(@PathParam("name") String name, PutHostRequest body) {
        if (body == null) {
            throw InvalidRequestException.of("body", "a host body is required");
        }
        return HostResponse.from(inventory.putHost(
                caller.caller(),
                name,
                new InventoryService.HostSpec(
                        body.address(),
                        body.port(),
                        body.user(),
                        body.credential(),
                        body.labels(),
                        body.groups(),
                        body.hostKeyPolicy(),
                        body.proxyJump())));
    }

    /** One host. */
    @Operation(operationId = "getHost", summary = "Get an inventory host")
    @GET
    @Path("/{name}")
    @RolesAllowed({Roles.VIEWER, Roles.OPERATOR, Roles.ADMIN})
    public HostResponse get(@PathParam("name") String name) {
        return inventory
                .host(caller.tenantId(), name)
                .map(HostResponse::from)
                .orElseThrow(() -> new HostNotFoundException(name));
    }

    /**
     * The tenant's hosts by name; {@code group} keeps those the group resolves to, each {@code label}
     * ({@code key=value}, or {@code key} for any value) those carrying it.
     */
    @Operation(operationId = "listHosts", summary = "List inventory hosts, optionally by label selector")
    @GET
    @RolesAllowed({Roles.VIEWER, Roles.OPERATOR, Roles.ADMIN})
    public List<HostResponse> list(@QueryParam("group") String group, @QueryParam("label") List<String> label) {
        Map<String, String> labels = new LinkedHashMap<>();
        if (label != null) {
            for (String l : label) {
                int eq = l.indexOf('=');
                String key = eq < 0 ? l : l.substring(0, eq);
                if (key.isBlank()) {
                    throw InvalidRequestException.of("label", "must be key=value or key, got '" + l + "'");
                }
                labels.put(key, eq < 0 ? null : l.substring(eq + 1));
            }
        }
        return inventory
                .hosts(
                        caller.tenantId(),
                        new InventoryService.HostFilter(group == null || group.isEmpty() ? null : group, labels))
                .stream()
                .map(HostResponse::from)
                .toList();
    }

    /**
     * Deletes a host, its trusted host keys and its membership in groups: 204; 404 if unknown. Runs still queued
     * for it end {@code FAILED} ("no longer in the inventory") when a worker picks them up.
     */
    @Operation(operationId = "deleteHost", summary = "Delete an inventory host")
    @DELETE
    @Path("/{name}")
    @RolesAllowed(Roles.ADMIN)
    public void delete(@PathParam("name") String name) {
        if (!inventory.deleteHost(caller.caller(), name)) {
            throw new HostNotFoundException(name);
        }
    }
}
