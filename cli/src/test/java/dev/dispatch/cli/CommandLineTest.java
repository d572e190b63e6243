package dev.dispatch.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class CommandLineTest {
    private static int run(StringWriter out, StringWriter err, String... args) {
        return Main.execute(
                args,
                new PrintWriter(out, true),
                new PrintWriter(err, true),
                Map.of("DISPATCH_CONFIG", "/nonexistent"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"exec", "ping", "copy", "update", "fetch", "delete", "jobs"})
    void everyCommandHasHelp(String command) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();

        assertThat(run(out, err, command, "--help")).as(err.toString()).isZero();
        assertThat(out.toString()).startsWith("Usage: dispatch " + command);
    }

    @Test
    void groupOutputExcludesJson() {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();

        int code = run(out, err, "exec", "--group", "--json", "-H", "h1", "--", "true");

        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).isEqualTo("error: --group, --output-dir and --json exclude each other\n");
    }

    @Test
    void badModeIsAUsageError() {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();

        int code = run(out, err, "copy", "--mode", "rw", "-H", "h1", "pom.xml", "/tmp/x");

        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).isEqualTo("error: --mode: 'rw' is not octal permission bits like 0644\n");
    }
}
