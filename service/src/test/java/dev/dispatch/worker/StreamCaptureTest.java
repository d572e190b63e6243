package dev.dispatch.worker;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

class StreamCaptureTest {
    @Test
    void keepsEverythingWithinTheLimit() {
        StreamCapture capture = new StreamCapture(16);
        capture.add("hello ".getBytes(StandardCharsets.UTF_8));
        capture.add("world!".getBytes(StandardCharsets.UTF_8));
        var stored = capture.stored();
        assertThat(new String(stored.data(), StandardCharsets.UTF_8)).isEqualTo("hello world!");
        assertThat(stored.truncated()).isFalse();
        assertThat(stored.totalBytes()).isEqualTo(12);
        assertThat(stored.chunks()).isEqualTo(2);
    }

    @Test
    void keepsHeadAndTailAndMarksTheCut() {
        StreamCapture capture = new StreamCapture(10);
        for (char c = 'a'; c <= 'z'; c++) {
            capture.add(new byte[] {(byte) c});
        }
        var stored = capture.stored();
        assertThat(new String(stored.data(), StandardCharsets.UTF_8)).isEqualTo("abcde\n[... 16 bytes cut ...]\nvwxyz");
        assertThat(stored.truncated()).isTrue();
        assertThat(stored.totalBytes()).isEqualTo(26);
    }

    @Test
    void keepsExactHeadAndTailForAnyChunkingWhileTheTailBufferGrows() {
        Random random = new Random(42);
        for (int round = 0; round < 200; round++) {
            int limit = 2 + random.nextInt(300);
            StreamCapture capture = new StreamCapture(limit);
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            int chunks = random.nextInt(20);
            for (int i = 0; i < chunks; i++) {
                byte[] chunk = new byte[random.nextInt(3 * limit)];
                for (int j = 0; j < chunk.length; j++) {
                    chunk[j] = (byte) ('a' + random.nextInt(26));
                }
                capture.add(chunk);
                all.writeBytes(chunk);
            }
            byte[] everything = all.toByteArray();
            int head = limit / 2;
            int tail = limit - head;
            String whole = new String(everything, StandardCharsets.UTF_8);
            String expected = everything.length <= limit
                    ? whole
                    : whole.substring(0, head) + "\n[... " + (everything.length - limit) + " bytes cut ...]\n"
                            + whole.substring(everything.length - tail);
            var stored = capture.stored();
            assertThat(new String(stored.data(), StandardCharsets.UTF_8))
                    .as("limit %d, %d bytes", limit, everything.length)
                    .isEqualTo(expected);
            assertThat(stored.totalBytes()).isEqualTo(everything.length);
            assertThat(stored.truncated()).isEqualTo(everything.length > limit);
        }
    }
}
