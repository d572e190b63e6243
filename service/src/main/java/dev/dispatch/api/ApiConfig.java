package dev.dispatch.api;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import jakarta.validation.constraints.Min;

/** Limits of what one API answer may carry. */
@ConfigMapping(prefix = "dispatch.api")
public interface ApiConfig {
    /** Most bytes of one group's stdout in {@code GET /jobs/{id}/runs?groupBy=output}. Default 64 KiB. */
    @WithDefault("65536")
    @Min(0)
    int groupedOutputBytes();

    /** Most bytes of stdout in one {@code ?groupBy=output} answer, all groups together. Default 4 MiB. */
    @WithDefault("4194304")
    @Min(0)
    long groupedOutputTotalBytes();
}
