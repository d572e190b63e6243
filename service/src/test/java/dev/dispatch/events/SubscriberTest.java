package dev.dispatch.events;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.UUID;
import org.junit.jupiter.api.Test;

class SubscriberTest {
    private static StreamEvent event(int size) {
        return new StreamEvent("output", "h/1/" + size, "x".repeat(size));
    }

    private static StreamEvent next(Subscriber s) {
        return s.next().toCompletableFuture().getNow(null);
    }

    @Test
    void handsEventsOverInOrderAndEndsAfterTheLast() {
        Subscriber s = new Subscriber(UUID.randomUUID(), 65536);
        var waiting = s.next().toCompletableFuture();
        assertThat(s.offer(event(1))).isTrue();
        assertThat(waiting.getNow(null).id()).isEqualTo("h/1/1");
        s.offer(event(2));
        s.finish(new StreamEvent("job-finished", "job-finished", "{}"));
        assertThat(s.offer(event(3))).isFalse();
        assertThat(next(s).id()).isEqualTo("h/1/2");
        assertThat(next(s).name()).isEqualTo("job-finished");
        assertThat(next(s)).isSameAs(StreamEvent.END);
    }

    @Test
    void slowReaderIsDroppedWithAnOverflowEvent() {
        Subscriber s = new Subscriber(UUID.randomUUID(), 65536);
        int accepted = 0;
        while (s.offer(event(1000))) {
            accepted++;
        }
        assertThat(accepted).isBetween(50, 65);
        assertThat(s.ended()).isTrue();
        assertThat(next(s).name()).isEqualTo("overflow");
        assertThat(next(s)).isSameAs(StreamEvent.END);
    }
}
