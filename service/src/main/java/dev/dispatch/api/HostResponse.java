package dev.dispatch.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.dispatch.inventory.Host;
import java.util.List;
import java.util.Map;

/** An inventory host. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record HostResponse(
        String name,
        String address,
        int port,
        String user,
        String credential,
        Map<String, String> labels,
        List<String> groups,
        String hostKeyPolicy,
        String proxyJump) {

    /** Maps a host. */
    public static HostResponse from(Host h) {
        return new HostResponse(
                h.name, h.address, h.port, h.user, h.credential, h.labels, h.groups, h.hostKeyPolicy, h.proxyJump);
    }
}
