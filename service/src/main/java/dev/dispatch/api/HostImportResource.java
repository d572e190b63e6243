package dev.dispatch.api;

import dev.dispatch.inventory.HostImportService;
import dev.dispatch.inventory.HostImportService.Format;
import dev.dispatch.tenancy.Roles;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.openapi.annotations.Operation;

/**
 * {@code POST /api/v1/hosts:import}: many hosts (and groups) from one file, in one transaction, all or nothing. The
 * format follows the Content-Type: {@code application/toml} (dispatch format), {@code application/yaml} (bssh
 * clusters), {@code text/plain} or {@code text/x-ssh-config} (OpenSSH client config). A resource of its own because
 * the colon-suffixed path is not below {@code /api/v1/hosts/}.
 */
@Path("/api/v1/hosts:import")
@Produces(MediaType.APPLICATION_JSON)
public class HostImportResource {
    private final HostImportService imports;
    private final CallerContext caller;

    public HostImportResource(HostImportService imports, CallerContext caller) {
        this.imports = imports;
        this.caller = caller;
    }

    /** Imports the dispatch TOML format. */
    @Operation(operationId = "importHosts", summary = "Import hosts from a TOML, YAML or ssh_config file")
    @POST
    @Consumes({"application/toml", "text/toml"})
    @RolesAllowed(Roles.ADMIN)
    public ImportResponse toml(
            String body,
            @QueryParam("dryRun") @DefaultValue("false") boolean dryRun,
            @QueryParam("credential") String credential) {
        return run(Format.TOML, body, dryRun, credential);
    }

    /** Imports bssh-style YAML clusters; each cluster becomes a group. */
    @Operation(operationId = "importHosts", summary = "Import hosts from a TOML, YAML or ssh_config file")
    @POST
    @Consumes({"application/yaml", "application/x-yaml", "text/yaml"})
    @RolesAllowed(Roles.ADMIN)
    public ImportResponse yaml(
            String body,
            @QueryParam("dryRun") @DefaultValue("false") boolean dryRun,
            @QueryParam("credential") String credential) {
        return run(Format.YAML, body, dryRun, credential);
    }

    /** Imports an OpenSSH ssh_config file; each concrete Host alias becomes a host. */
    @Operation(operationId = "importHosts", summary = "Import hosts from a TOML, YAML or ssh_config file")
    @POST
    @Consumes({MediaType.TEXT_PLAIN, "text/x-ssh-config"})
    @RolesAllowed(Roles.ADMIN)
    public ImportResponse sshConfig(
            String body,
            @QueryParam("dryRun") @DefaultValue("false") boolean dryRun,
            @QueryParam("credential") String credential) {
        return run(Format.SSH_CONFIG, body, dryRun, credential);
    }

    private ImportResponse run(Format format, String body, boolean dryRun, String credential) {
        return ImportResponse.from(imports.importHosts(
                caller.caller(), format, body, dryRun, credential == null || credential.isEmpty() ? null : credential));
    }
}
