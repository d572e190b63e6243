package dev.dispatch.worker;

import io.agroal.api.AgroalDataSource;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.FilterInputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.concurrent.Semaphore;

/**
 * Bounds how many host runs use the database at once (resolving their target, artifact content, host key records,
 * recording their result) to the datasource pool size less {@link WorkerConfig#reservedConnections()}, so that lease
 * renewal, claiming, the cancel poll, the reaper and the outbox always find a free connection however many runs
 * reach the database together. A run waits here, holding no connection, instead of in the pool, where it would
 * crowd out those control queries until they hit the acquisition timeout.
 *
 * <p>Each permit covers one short piece of work that uses one connection at a time; work done under a permit must
 * never ask for another (the permits could all be held by callers waiting for a second one). Thread-safe.
 */
@ApplicationScoped
public class RunDatabaseGate {
    private final int permits;
    private final Semaphore semaphore;

    public RunDatabaseGate(WorkerConfig config, AgroalDataSource dataSource) {
        int pool = dataSource.getConfiguration().connectionPoolConfiguration().maxSize();
        this.permits = pool - config.reservedConnections();
        if (permits < 1) {
            throw new IllegalStateException("dispatch.worker.reserved-connections (" + config.reservedConnections()
                    + ") must be below quarkus.datasource.jdbc.max-size (" + pool + ")");
        }
        this.semaphore = new Semaphore(permits, true);
    }

    /** Work that may throw a checked exception. */
    @FunctionalInterface
    interface Work<T, E extends Exception> {
        T get() throws E;
    }

    /** How many runs may use the database at once. */
    int permits() {
        return permits;
    }

    /** Runs {@code work} once a permit is free (waiting uninterruptibly; the interrupt status is kept). */
    <T, E extends Exception> T call(Work<T, E> work) throws E {
        semaphore.acquireUninterruptibly();
        try {
            return work.get();
        } finally {
            semaphore.release();
        }
    }

    /** As {@link #call}, for work without a result. */
    void run(Runnable work) {
        call(() -> {
            work.run();
            return null;
        });
    }

    /** {@code in}, each read of which (it may fetch from the database) holds a permit. */
    InputStream input(InputStream in) {
        return new FilterInputStream(in) {
            @Override
            public int read() throws IOException {
                return call(super::read);
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                return call(() -> super.read(b, off, len));
            }

            @Override
            public long skip(long n) throws IOException {
                return call(() -> super.skip(n));
            }
        };
    }

    /** {@code out}, each write of which (it may store to the database) holds a permit. */
    OutputStream output(OutputStream out) {
        return new FilterOutputStream(out) {
            @Override
            public void write(int b) throws IOException {
                call(() -> {
                    out.write(b);
                    return null;
                });
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                call(() -> {
                    out.write(b, off, len);
                    return null;
                });
            }

            @Override
            public void flush() throws IOException {
                call(() -> {
                    out.flush();
                    return null;
                });
            }
        };
    }
}
