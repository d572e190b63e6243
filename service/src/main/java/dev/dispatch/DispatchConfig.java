package dev.dispatch;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** Process-wide settings. */
@ConfigMapping(prefix = "dispatch")
public interface DispatchConfig {
    /** {@code api}, {@code worker} or {@code all} (env {@code DISPATCH_ROLE}). Default all. */
    @WithDefault("all")
    Role role();
}
