package dev.dispatch.ssh;

import java.time.Duration;

/** {@link SshConfig} for plain JUnit tests that build the SSH classes by hand; the defaults of the real mapping. */
record TestSshConfig(Duration connectTimeout, int maxChannelsPerSession, long maxFetchBytes) implements SshConfig {

    static TestSshConfig defaults() {
        return new TestSshConfig(Duration.ofSeconds(10), 8, 64L << 20);
    }

    TestSshConfig withConnectTimeout(Duration timeout) {
        return new TestSshConfig(timeout, maxChannelsPerSession, maxFetchBytes);
    }

    TestSshConfig withMaxFetchBytes(long bytes) {
        return new TestSshConfig(connectTimeout, maxChannelsPerSession, bytes);
    }

    @Override
    public int maxConcurrentHandshakes() {
        return 64;
    }

    @Override
    public Duration heartbeatInterval() {
        return Duration.ofSeconds(15);
    }

    @Override
    public Duration idleTimeout() {
        return Duration.ofMinutes(5);
    }

    @Override
    public boolean killProcessGroup() {
        return true;
    }

    @Override
    public int nioWorkers() {
        return 0;
    }
}
