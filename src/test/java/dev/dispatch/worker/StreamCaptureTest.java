package dev.dispatch.worker;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
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
}
