package dev.dispatch.ssh;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.MDC;
import org.junit.jupiter.api.Test;

class LogContextFreeThreadsTest {

    @Test
    void aThreadCreatedWhileARunIsLoggingStartsWithoutThatRunsJobAndHost() throws Exception {
        MDC.put("jobId", "job-of-the-creating-thread");
        MDC.put("host", "web-1");
        try {
            CompletableFuture<Map<String, Object>> seen = new CompletableFuture<>();
            CompletableFuture<Map<String, Object>> inherited = new CompletableFuture<>();
            new LogContextFreeThreads("test")
                    .newThread(() -> seen.complete(Map.copyOf(MDC.getMap())))
                    .start();
            new Thread(() -> inherited.complete(Map.copyOf(MDC.getMap()))).start();

            assertThat(seen.get(5, TimeUnit.SECONDS)).isEmpty();
            assertThat(inherited.get(5, TimeUnit.SECONDS))
                    .as("a plain thread inherits the MDC, hence the factory")
                    .containsEntry("jobId", "job-of-the-creating-thread");
        } finally {
            MDC.clear();
        }
    }
}
