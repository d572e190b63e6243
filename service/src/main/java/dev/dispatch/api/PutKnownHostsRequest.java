package dev.dispatch.api;

import java.util.List;

/** Body of {@code PUT /known-hosts/{host}}: public keys or OpenSSH known_hosts lines. */
public record PutKnownHostsRequest(List<String> keys) {}
