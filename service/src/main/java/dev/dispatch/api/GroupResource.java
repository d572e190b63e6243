package dev.dispatch.api;

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
import jakarta.ws.rs.core.MediaType;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.Operation;

/** The tenant's host groups: explicit members and/or a label selector, shown with the hosts they resolve to. */
@Path("/api/v1/groups")
@Produces(MediaType.APPLICATION_JSON)
public class GroupResource {
    private final InventoryService inventory;
    private final CallerContext caller;

    public GroupResource(InventoryService inventory, CallerContext caller) {
        this.inventory = inventory;
        this.caller = caller;
    }

    /** Creates or replaces a group; every member must be a host of the tenant. Answers it resolved. */
    @Operation(operationId = "putGroup", summary = "Create or replace a host group")
    @PUT
    @Path("/{name}")
    @Consumes(MediaType.APPLICATION_JSON)
    @RolesAllowed(Roles.ADMIN)
    public GroupResponse put(@PathParam("name") String name, PutGroupRequest body) {
        return GroupResponse.from(inventory.putGroup(
                caller.caller(),
                name,
                body == null ? null : new InventoryService.GroupSpec(body.members(), body.selector())));
    }

    /** One group with its resolved hosts; 404 if it is neither stored nor named by any host. */
    @Operation(operationId = "getGroup", summary = "Get a host group")
    @GET
    @Path("/{name}")
    @RolesAllowed({Roles.VIEWER, Roles.OPERATOR, Roles.ADMIN})
    public GroupResponse get(@PathParam("name") String name) {
        return inventory
                .group(caller.tenantId(), name)
                .map(GroupResponse::from)
                .orElseThrow(() -> new ResourceNotFoundException("group " + name + " not found"));
    }

    /** Every group, stored or named by hosts, by name. */
    @Operation(operationId = "listGroups", summary = "List host groups")
    @GET
    @RolesAllowed({Roles.VIEWER, Roles.OPERATOR, Roles.ADMIN})
    public List<GroupResponse> list() {
        return inventory.groups(caller.tenantId()).stream()
                .map(GroupResponse::from)
                .toList();
    }

    /** Deletes a stored group (hosts keep their own {@code groups} lists): 204; 404 if no such group is stored. */
    @Operation(operationId = "deleteGroup", summary = "Delete a host group")
    @DELETE
    @Path("/{name}")
    @RolesAllowed(Roles.ADMIN)
    public void delete(@PathParam("name") String name) {
        if (!inventory.deleteGroup(caller.caller(), name)) {
            throw new ResourceNotFoundException("group " + name + " not found");
        }
    }
}
