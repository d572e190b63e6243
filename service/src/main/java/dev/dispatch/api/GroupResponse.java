package dev.dispatch.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.dispatch.inventory.InventoryService;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * A group and the hosts it resolves to now (members ∪ selector matches ∪ hosts naming it in their own
 * {@code groups}). {@code defined} is false for a group that exists only because hosts name it; it then has no
 * members, selector or timestamps.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record GroupResponse(
        String name,
        boolean defined,
        List<String> members,
        Map<String, String> selector,
        List<String> hosts,
        Instant createdAt,
        Instant updatedAt) {

    /** Maps a resolved group. */
    public static GroupResponse from(InventoryService.ResolvedGroup g) {
        var d = g.definition();
        return d == null
                ? new GroupResponse(g.name(), false, List.of(), Map.of(), g.hosts(), null, null)
                : new GroupResponse(g.name(), true, d.members, d.selector, g.hosts(), d.createdAt, d.updatedAt);
    }
}
