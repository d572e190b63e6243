package dev.dispatch.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class OutputFormatTest {
    @Test
    void foldsConsecutiveNumbersKeepingPadding() {
        assertThat(HostList.fold(List.of("web01", "web02", "web03", "db1", "web05", "db2")))
                .isEqualTo("web[01-03,05],db[1-2]");
    }

    @Test
    void foldKeepsNamesWithoutNumbersAndSingleHosts() {
        assertThat(HostList.fold(List.of("gateway", "h021", "h9.example", "h10.example")))
                .isEqualTo("gateway,h021,h9.example,h10.example");
    }

    @Test
    void foldIsTheInverseOfExpand() {
        List<String> hosts = HostList.expand("r[1-3]n[08-11],x,h[001-004,010]");
        assertThat(HostList.expand(HostList.fold(hosts))).containsExactlyInAnyOrderElementsOf(hosts);
        assertThat(HostList.fold(hosts)).isEqualTo("r1n[08-11],r2n[08-11],r3n[08-11],x,h[001-004,010]");
    }

    @Test
    void groupBlockHeadsTheOutputWithTheHosts() {
        assertThat(JobWatch.groupBlock(List.of("h01", "h02"), "SUCCEEDED", 0, null, "hello\n"))
                .isEqualTo("----------------\nh[01-02] (2)\n----------------\nhello\n");
    }

    @Test
    void groupBlockNamesAFailedStateAndEndsTheOutputWithANewline() {
        assertThat(JobWatch.groupBlock(List.of("h03"), "FAILED", 3, null, "bad"))
                .isEqualTo("----------------\nh03: FAILED (exit 3)\n----------------\nbad\n");
    }

    @Test
    void progressLineShowsPercentAndMebibytes() {
        assertThat(FileCommands.ProgressBar.line(5 * 1048576L, 10 * 1048576L))
                .isEqualTo("uploading [##########          ]  50%  5.0/10.0 MiB");
    }

    @Test
    void modeAndBaseName() {
        assertThat(FileCommands.normalMode("644")).isEqualTo("0644");
        assertThat(FileCommands.normalMode("0600")).isEqualTo("0600");
        assertThat(FileCommands.baseName("/var/log/app.log")).isEqualTo("app.log");
        assertThat(FileCommands.baseName("/etc/app/")).isEqualTo("app");
    }
}
