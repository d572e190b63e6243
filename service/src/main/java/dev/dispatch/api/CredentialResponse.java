package dev.dispatch.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.dispatch.inventory.InventoryService;
import java.time.Instant;

/** Public facts of a stored credential; the key itself is never returned. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record CredentialResponse(String name, String type, String fingerprint, Instant createdAt, Instant updatedAt) {
    /** Maps a credential's public facts. */
    public static CredentialResponse from(InventoryService.CredentialInfo info) {
        return new CredentialResponse(info.name(), info.type(), info.fingerprint(), info.createdAt(), info.updatedAt());
    }
}
