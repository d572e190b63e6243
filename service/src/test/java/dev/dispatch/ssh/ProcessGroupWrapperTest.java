package dev.dispatch.ssh;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** The stderr filter takes exactly the process group marker off, however reads split it, and nothing else. */
class ProcessGroupWrapperTest {

    private record Filtered(String stderr, Long pgid) {}

    /** Feeds {@code text} in reads of {@code size} bytes, then ends the stream. */
    private static Filtered filter(String text, int size) {
        CompletableFuture<Long> pgid = new CompletableFuture<>();
        ProcessGroupWrapper.StderrFilter filter = new ProcessGroupWrapper.StderrFilter(pgid);
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < bytes.length; i += size) {
            byte[] read = new byte[size];
            int n = Math.min(size, bytes.length - i);
            System.arraycopy(bytes, i, read, 0, n);
            out.writeBytes(filter.feed(read, n));
        }
        out.writeBytes(filter.finish());
        assertThat(pgid).isDone();
        return new Filtered(out.toString(StandardCharsets.UTF_8), pgid.join());
    }

    @Test
    void theMarkerIsTakenOffWhateverTheReadSize() {
        for (int size = 1; size <= 40; size++) {
            assertThat(filter("\036dispatch-pgid:4242\nboom\n", size)).isEqualTo(new Filtered("boom\n", 4242L));
            assertThat(filter("\036dispatch-pgid:7\n", size)).isEqualTo(new Filtered("", 7L));
        }
    }

    @Test
    void stderrWithoutTheMarkerPassesUnchanged() {
        for (int size = 1; size <= 8; size++) {
            assertThat(filter("plain error\n", size)).isEqualTo(new Filtered("plain error\n", null));
            assertThat(filter("\036dispatch-pg", size)).isEqualTo(new Filtered("\036dispatch-pg", null));
            assertThat(filter("\036dispatch-pgid:\nx", size)).isEqualTo(new Filtered("\036dispatch-pgid:\nx", null));
            assertThat(filter("\036dispatch-pgid:12x\n", size))
                    .isEqualTo(new Filtered("\036dispatch-pgid:12x\n", null));
            assertThat(filter("", size)).isEqualTo(new Filtered("", null));
        }
    }

    @Test
    void theCommandIsQuotedForAnyText() {
        assertThat(ProcessGroupWrapper.wrap("echo 'a b'")).startsWith("set -- 'echo '\\''a b'\\'''; ");
    }
}
