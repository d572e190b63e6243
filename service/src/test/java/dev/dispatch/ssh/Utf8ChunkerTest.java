package dev.dispatch.ssh;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class Utf8ChunkerTest {
    @Test
    void neverCutsInsideAMultiByteSequence() {
        byte[] text = "aé€😀z".getBytes(StandardCharsets.UTF_8);
        for (int split = 0; split <= text.length; split++) {
            Utf8Chunker chunker = new Utf8Chunker();
            byte[] first = chunker.feed(Arrays.copyOfRange(text, 0, split), split);
            byte[] second = chunker.feed(Arrays.copyOfRange(text, split, text.length), text.length - split);
            byte[] rest = chunker.flush();
            assertThat(new String(first, StandardCharsets.UTF_8)).doesNotContain("\uFFFD");
            assertThat(new String(second, StandardCharsets.UTF_8)).doesNotContain("\uFFFD");
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            all.writeBytes(first);
            all.writeBytes(second);
            all.writeBytes(rest);
            assertThat(all.toByteArray()).isEqualTo(text);
            assertThat(rest).isEmpty();
        }
    }

    @Test
    void passesInvalidBytesThroughAndFlushesAHeldBackTail() {
        Utf8Chunker chunker = new Utf8Chunker();
        byte[] bytes = {(byte) 0xFF, 'a', (byte) 0xE2, (byte) 0x82};
        assertThat(chunker.feed(bytes, bytes.length)).containsExactly((byte) 0xFF, 'a');
        assertThat(chunker.flush()).containsExactly((byte) 0xE2, (byte) 0x82);
    }
}
