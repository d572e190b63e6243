package dev.dispatch.ssh;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class SshConfigFileTest {
    private static final String CONFIG = """
            # production
            Host web-1 web-2
                HostName 10.0.0.5
                Port 2222

            Host db
                HostName db.example.com
                User postgres
                IdentityFile ~/.ssh/db_key
                ProxyJump bastion

            Host web-*
                User deploy
                Port 2200

            Host *
                User fallback
                IdentityFile ~/.ssh/id_default
                ServerAliveInterval 30
            """;

    @Test
    void everyConcreteAliasIsAHostWithFirstValueWinning() {
        List<SshConfigFile.Entry> entries = SshConfigFile.parse(CONFIG);

        assertThat(entries)
                .containsExactly(
                        new SshConfigFile.Entry("web-1", "10.0.0.5", 2222, "deploy", "~/.ssh/id_default", null),
                        new SshConfigFile.Entry("web-2", "10.0.0.5", 2222, "deploy", "~/.ssh/id_default", null),
                        new SshConfigFile.Entry("db", "db.example.com", null, "postgres", "~/.ssh/db_key", "bastion"));
    }

    @Test
    void aliasWithoutSettingsKeepsNullsAndNoneMeansNoJump() {
        assertThat(SshConfigFile.parse("Host plain\nHost hop\n  ProxyJump none\n"))
                .containsExactly(
                        new SshConfigFile.Entry("plain", null, null, null, null, null),
                        new SshConfigFile.Entry("hop", null, null, null, null, null));
    }

    @Test
    void rejectsWhatItCannotRead() {
        assertThatThrownBy(() -> SshConfigFile.parse("Host a\n  Port abc\n"))
                .isInstanceOf(InvalidSshConfigException.class)
                .hasMessageContaining("abc");
        assertThatThrownBy(() -> SshConfigFile.parse("Match host a\n  User m\n"))
                .isInstanceOf(InvalidSshConfigException.class)
                .hasMessageContaining("Match");
        assertThatThrownBy(() -> SshConfigFile.parse("Include ~/.ssh/more\nHost a\n"))
                .isInstanceOf(InvalidSshConfigException.class)
                .hasMessageContaining("Include");
    }
}
