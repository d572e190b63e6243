package dev.dispatch.api;

import java.util.List;
import java.util.Map;

/**
 * Body of {@code PUT /hosts/{name}}; {@code port} defaults to 22; {@code proxyJump} names jump hosts of the tenant
 * ({@code "bastion"} or a chain {@code "outer,inner"}, first hop first).
 */
public record PutHostRequest(
        String address,
        Integer port,
        String user,
        String credential,
        Map<String, String> labels,
        List<String> groups,
        String hostKeyPolicy,
        String proxyJump) {}
