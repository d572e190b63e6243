package dev.dispatch.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class HostListTest {
    @Test
    void expandsRangesKeepingZeroPadding() {
        assertThat(HostList.expand("web[01-03],db[1-2]")).containsExactly("web01", "web02", "web03", "db1", "db2");
        assertThat(HostList.expand("n[098-101]")).containsExactly("n098", "n099", "n100", "n101");
    }

    @Test
    void expandsListsInsideBracketsAndSeveralBrackets() {
        assertThat(HostList.expand("h[1,3,5-6]")).containsExactly("h1", "h3", "h5", "h6");
        assertThat(HostList.expand("r[1-2]n[1-2].dc")).containsExactly("r1n1.dc", "r1n2.dc", "r2n1.dc", "r2n2.dc");
    }

    @Test
    void keepsPlainNamesAndDropsDuplicates() {
        assertThat(HostList.expand("a, b,a,,c")).containsExactly("a", "b", "c");
    }

    @Test
    void excludesExpandedHosts() {
        assertThat(HostList.exclude(HostList.expand("web[01-05]"), "web[02-03]"))
                .containsExactly("web01", "web04", "web05");
    }

    @Test
    void rejectsMalformedRanges() {
        assertThatThrownBy(() -> HostList.expand("web[01-03")).hasMessageContaining("unclosed");
        assertThatThrownBy(() -> HostList.expand("web[3-1]")).hasMessageContaining("backwards");
        assertThatThrownBy(() -> HostList.expand("web[a-b]")).hasMessageContaining("not a number");
        assertThatThrownBy(() -> HostList.expand("web]")).hasMessageContaining("unbalanced");
    }
}
