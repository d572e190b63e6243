package dev.dispatch.tenancy;

/**
 * A tenant's own settings.
 *
 * @param hostKeyPolicy default host key policy of hosts that set none: {@code strict}, {@code accept-new} or
 *        {@code off}
 * @param allowHostKeyPolicyOff whether hosts (or the default) may use {@code off}; withdrawing it makes runs on such
 *        hosts end {@code HOST_KEY_REJECTED}
 */
public record TenantSettings(String hostKeyPolicy, boolean allowHostKeyPolicyOff) {
    /** The settings of a tenant nobody has configured. */
    public static final TenantSettings DEFAULTS = new TenantSettings("strict", false);
}
