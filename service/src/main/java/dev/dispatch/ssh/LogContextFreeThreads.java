package dev.dispatch.ssh;

import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import org.jboss.logging.MDC;

/**
 * Daemon threads that start with an empty logging context. The logging MDC is inherited by new threads, and MINA
 * creates its I/O and timer threads lazily from whichever thread first needs one, often a worker thread whose MDC
 * names one job and host; without this, every later log line of that shared thread would carry that job's id.
 */
final class LogContextFreeThreads implements ThreadFactory {
    private final String prefix;
    private final AtomicInteger count = new AtomicInteger();

    LogContextFreeThreads(String prefix) {
        this.prefix = prefix;
    }

    @Override
    public Thread newThread(Runnable task) {
        Thread thread = new Thread(
                () -> {
                    MDC.clear();
                    task.run();
                },
                prefix + "-" + count.incrementAndGet());
        thread.setDaemon(true);
        return thread;
    }
}
