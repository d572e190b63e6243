package dev.dispatch.api;

import dev.dispatch.InvalidRequestException;
import dev.dispatch.inventory.InventoryService;
import dev.dispatch.tenancy.Roles;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.util.List;

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
    @PUT
    @Path("/{name}")
    @Consumes(MediaType.APPLICATION_JSON)
    @RolesAllowed(Roles.ADMIN)
    public HostResponse put(@PathParam("name") String name, PutHostRequest body) {
        if (body == null) {
            throw InvalidRequestException.of("body", "a host body is required");
        }
        return HostResponse.from(inventory.putHost(caller.caller(), name, new InventoryService.HostSpec(body.address(),
                body.port(), body.user(), body.credential(), body.labels(), body.groups(), body.hostKeyPolicy())));
    }

    /** One host. */
    @GET
    @Path("/{name}")
    @RolesAllowed({Roles.VIEWER, Roles.OPERATOR, Roles.ADMIN})
    public HostResponse get(@PathParam("name") String name) {
        return inventory.host(caller.tenantId(), name).map(HostResponse::from)
                .orElseThrow(() -> new HostNotFoundException(name));
    }

    /** All hosts, by name. */
    @GET
    @RolesAllowed({Roles.VIEWER, Roles.OPERATOR, Roles.ADMIN})
    public List<HostResponse> list() {
        return inventory.hosts(caller.tenantId()).stream().map(HostResponse::from).toList();
    }
}
