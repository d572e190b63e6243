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

/** Write-only private keys: listed by name, type and fingerprint only. */
@Path("/api/v1/credentials")
@Produces(MediaType.APPLICATION_JSON)
public class CredentialResource {
    private final InventoryService inventory;
    private final CallerContext caller;

    public CredentialResource(InventoryService inventory, CallerContext caller) {
        this.inventory = inventory;
        this.caller = caller;
    }

    /** Stores (encrypted) or replaces a private key; answers its type and fingerprint only. */
    @Operation(
            operationId = "putCredential",
            summary = "Create or replace a write-only credential (private key, passphrase)")
    @PUT
    @Path("/{name}")
    @Consumes(MediaType.APPLICATION_JSON)
    @RolesAllowed(Roles.ADMIN)
    public CredentialResponse put(@PathParam("name") String name, PutCredentialRequest body) {
        if (body == null) {
            throw InvalidRequestException.of("body", "a credential body is required");
        }
        return CredentialResponse.from(
                inventory.putCredential(caller.caller(), name, body.privateKey(), body.passphrase()));
    }

    /** Stores an unencrypted private key sent as the raw key file ({@code curl --data-binary @id_ed25519}). */
    @Operation(
            operationId = "putCredential",
            summary = "Create or replace a write-only credential (private key, passphrase)")
    @PUT
    @Path("/{name}")
    @Consumes({MediaType.TEXT_PLAIN, "application/x-pem-file"})
    @RolesAllowed(Roles.ADMIN)
    public CredentialResponse putKeyFile(@PathParam("name") String name, String privateKey) {
        return CredentialResponse.from(inventory.putCredential(caller.caller(), name, privateKey, null));
    }

    /** The tenant's credentials by name: type, fingerprint and timestamps, never key material. */
    @Operation(operationId = "listCredentials", summary = "List credentials (names and fingerprints, never secrets)")
    @GET
    @RolesAllowed({Roles.VIEWER, Roles.OPERATOR, Roles.ADMIN})
    public List<CredentialResponse> list() {
        return inventory.credentials(caller.tenantId()).stream()
                .map(CredentialResponse::from)
                .toList();
    }

    /** Deletes a credential: 204; 404 if unknown; 409 {@code credential-in-use} while hosts refer to it. */
    @Operation(operationId = "deleteCredential", summary = "Delete a credential")
    @DELETE
    @Path("/{name}")
    @RolesAllowed(Roles.ADMIN)
    public void delete(@PathParam("name") String name) {
        if (!inventory.deleteCredential(caller.caller(), name)) {
            throw new ResourceNotFoundException("credential " + name + " not found");
        }
    }
}
