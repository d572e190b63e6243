package dev.dispatch.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.dispatch.inventory.KnownHostKey;
import java.util.List;

/** The keys a tenant trusts (or revoked) for one host. */
public record KnownHostsResponse(String host, List<Key> keys) {
    /** One key; {@code marker} is {@code revoked} or {@code cert-authority} where set. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Key(String type, String publicKey, String fingerprint, String marker) {}

    /** Maps stored keys. */
    public static KnownHostsResponse from(String host, List<KnownHostKey> keys) {
        return new KnownHostsResponse(
                host,
                keys.stream()
                        .map(k -> new Key(k.keyType, k.publicKey, k.fingerprint, k.marker))
                        .toList());
    }
}
