package dev.dispatch.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;

/** One set of real OpenSSH hosts shared by every test of a JVM; tests isolate themselves by fresh tenants. */
public final class Fleet {
    public static final int SIZE = 24;
    private static OpenSshHosts hosts;

    private Fleet() {}

    /** The shared fleet, started on first use and stopped when the JVM exits. */
    public static synchronized OpenSshHosts get() {
        if (hosts == null) {
            try {
                hosts = OpenSshHosts.start(SIZE, Files.createTempDirectory("dispatch-fleet"));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            Runtime.getRuntime().addShutdownHook(new Thread(hosts::close));
        }
        return hosts;
    }
}
