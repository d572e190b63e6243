package dev.dispatch.ssh;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import jakarta.validation.constraints.Min;
import java.time.Duration;

/** SSH client settings: one shared client per process, pooled authenticated sessions. */
@ConfigMapping(prefix = "dispatch.ssh")
public interface SshConfig {
    /** Budget for TCP connect, key exchange, host key check and authentication together. Default 10s. */
    @WithDefault("10s")
    Duration connectTimeout();

    /** Exec/SFTP channels sharing one session at once (OpenSSH's MaxSessions defaults to 10). Default 8. */
    @WithDefault("8")
    @Min(1)
    int maxChannelsPerSession();

    /** Handshakes in flight at once across all hosts, so a 1,000-host job does not open 1,000 at once. Default 64. */
    @WithDefault("64")
    @Min(1)
    int maxConcurrentHandshakes();

    /** Keep-alive interval on pooled sessions; a quiet command is not cut and a dead peer is noticed. Default 15s. */
    @WithDefault("15s")
    Duration heartbeatInterval();

    /** A pooled session unused this long is closed. Default 5m. */
    @WithDefault("5m")
    Duration idleTimeout();

    /** Largest remote file a fetch downloads (bytes); a bigger one fails the run without transfer. Default 64 MiB. */
    @WithDefault("67108864")
    @Min(1)
    long maxFetchBytes();

    /**
     * Runs every command as the leader of its own process group through a POSIX-sh wrapper, so that cancel and
     * timeout kill the whole remote process tree with {@code kill} over a second channel (OpenSSH refuses SSH signal
     * requests for root logins). Needs a POSIX login shell with {@code kill}; turn off for fleets whose login shell
     * is not POSIX (network appliances), which then get SSH signals and a channel close only. Default true.
     */
    @WithDefault("true")
    boolean killProcessGroup();

    /** NIO worker threads of the shared client; 0 means cores + 1. Default 0. */
    @WithDefault("0")
    @Min(0)
    int nioWorkers();
}
