package dev.dispatch.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CliConfigTest {
    private static final String TOML = """
            current = "prod"

            [contexts.local]
            url = "http://127.0.0.1:8080"
            token = "local-token"
            tenant = "demo"

            [contexts.prod]
            url = "https://dispatch.example.com"
            token = "prod-token"
            """;

    @Test
    void usesTheCurrentContext() throws Exception {
        CliConfig.Context c = CliConfig.parse(TOML).resolve(null, Map.of());
        assertThat(c).isEqualTo(new CliConfig.Context("https://dispatch.example.com", "prod-token", null));
    }

    @Test
    void contextOptionPicksAnother() throws Exception {
        CliConfig.Context c = CliConfig.parse(TOML).resolve("local", Map.of());
        assertThat(c).isEqualTo(new CliConfig.Context("http://127.0.0.1:8080", "local-token", "demo"));
    }

    @Test
    void environmentOverridesTheContext() throws Exception {
        CliConfig.Context c = CliConfig.parse(TOML)
                .resolve("local", Map.of("DISPATCH_URL", "http://other:9", "DISPATCH_TOKEN", "env-token"));
        assertThat(c).isEqualTo(new CliConfig.Context("http://other:9", "env-token", "demo"));
    }

    @Test
    void noFileMeansLocalDefaults() throws Exception {
        CliConfig.Context c =
                CliConfig.load(Path.of("/nonexistent/config.toml")).resolve(null, Map.of());
        assertThat(c.url()).isEqualTo("http://127.0.0.1:8080");
        assertThat(c.token()).isNull();
    }

    @Test
    void tokenFileIsReadWhenTheContextIsUsed(@TempDir Path dir) throws Exception {
        Path token = Files.writeString(dir.resolve("admin.token"), "file-token\n");
        CliConfig config =
                CliConfig.parse("[contexts.local]\nurl = \"http://127.0.0.1:8080\"\ntoken-file = \"" + token + "\"\n");
        assertThat(config.resolve("local", Map.of()).token()).isEqualTo("file-token");
    }

    @Test
    void unknownContextIsAnError() throws Exception {
        assertThatThrownBy(() -> CliConfig.parse(TOML).resolve("nope", Map.of()))
                .hasMessageContaining("no context 'nope'")
                .hasMessageContaining("local, prod");
    }

    @Test
    void locationFollowsEnvironment() {
        assertThat(CliConfig.location(Map.of("DISPATCH_CONFIG", "/x/c.toml"))).isEqualTo(Path.of("/x/c.toml"));
        assertThat(CliConfig.location(Map.of("HOME", "/home/u")))
                .isEqualTo(Path.of("/home/u/.config/dispatch/config.toml"));
    }

    @Test
    void durationsBecomeIso() {
        assertThat(ExecCommand.isoDuration("30s")).isEqualTo("PT30S");
        assertThat(ExecCommand.isoDuration("5m")).isEqualTo("PT5M");
        assertThat(ExecCommand.isoDuration("PT1H")).isEqualTo("PT1H");
    }
}
