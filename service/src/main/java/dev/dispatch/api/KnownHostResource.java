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
import jakarta.ws.rs.core.MediaType;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.Operation;

/** The tenant's trusted host keys, per inventory host name. */
@Path("/api/v1/known-hosts")
@Produces(MediaType.APPLICATION_JSON)
public class KnownHostResource {
    private final InventoryService inventory;
    private final CallerContext caller;

    public KnownHostResource(InventoryService inventory, CallerContext caller) {
        this.inventory = inventory;
        this.caller = caller;
    }

    /** Replaces the host's keys with {@code {"keys": [...]}}. */
    @Operation(operationId = "putKnownHostKeys", summary = "Set the trusted host keys of an inventory host")
    @PUT
    @Path("/{host}")
    @Consumes(MediaType.APPLICATION_JSON)
    @RolesAllowed(Roles.ADMIN)
    public KnownHostsResponse put(@PathParam("host") String host, PutKnownHostsRequest body) {
        if (body == null) {
            throw InvalidRequestException.of("keys", "at least one key is required");
        }
        return KnownHostsResponse.from(host, inventory.putKnownHosts(caller.caller(), host, body.keys()));
    }

    /** Replaces the host's keys with OpenSSH known_hosts lines sent as text. */
    @Operation(operationId = "putKnownHostKeys", summary = "Set the trusted host keys of an inventory host")
    @PUT
    @Path("/{host}")
    @Consumes(MediaType.TEXT_PLAIN)
    @RolesAllowed(Roles.ADMIN)
    public KnownHostsResponse putText(@PathParam("host") String host, String lines) {
        return KnownHostsResponse.from(
                host, inventory.putKnownHosts(caller.caller(), host, lines == null ? List.of() : List.of(lines)));
    }

    /** The host's keys. */
    @Operation(operationId = "getKnownHostKeys", summary = "Get the trusted host keys of an inventory host")
    @GET
    @Path("/{host}")
    @RolesAllowed({Roles.VIEWER, Roles.OPERATOR, Roles.ADMIN})
    public KnownHostsResponse get(@PathParam("host") String host) {
        return KnownHostsResponse.from(host, inventory.knownHosts(caller.tenantId(), host));
    }

    /** Every key of the tenant, one entry per host (by name). */
    @Operation(operationId = "listKnownHosts", summary = "List trusted host keys of all hosts")
    @GET
    @RolesAllowed({Roles.VIEWER, Roles.OPERATOR, Roles.ADMIN})
    public List<KnownHostsResponse> list() {
        return inventory.knownHosts(caller.tenantId()).entrySet().stream()
                .map(e -> KnownHostsResponse.from(e.getKey(), e.getValue()))
                .toList();
    }

    /** Forgets every key of the host (connections to it fail until keys are stored again): 204; 404 if none. */
    @Operation(operationId = "deleteKnownHostKeys", summary = "Forget the trusted host keys of an inventory host")
    @DELETE
    @Path("/{host}")
    @RolesAllowed(Roles.ADMIN)
    public void delete(@PathParam("host") String host) {
        if (!inventory.deleteKnownHosts(caller.caller(), host)) {
            throw new ResourceNotFoundException("no known host keys for host " + host);
        }
    }
}
