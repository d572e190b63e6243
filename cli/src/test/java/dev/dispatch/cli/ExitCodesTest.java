package dev.dispatch.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class ExitCodesTest {
    @Test
    void allSucceededIsZero() {
        assertThat(ExitCodes.forRunStates(List.of("SUCCEEDED", "SUCCEEDED"))).isZero();
    }

    @Test
    void someSucceededIsPartial() {
        assertThat(ExitCodes.forRunStates(List.of("SUCCEEDED", "FAILED"))).isEqualTo(10);
        assertThat(ExitCodes.forRunStates(List.of("SUCCEEDED", "UNREACHABLE"))).isEqualTo(10);
    }

    @Test
    void noneSucceededByKindOfFailure() {
        assertThat(ExitCodes.forRunStates(List.of("FAILED", "TIMED_OUT"))).isEqualTo(5);
        assertThat(ExitCodes.forRunStates(List.of("AUTH_FAILED", "FAILED"))).isEqualTo(4);
        assertThat(ExitCodes.forRunStates(List.of("UNREACHABLE", "AUTH_FAILED")))
                .isEqualTo(3);
        assertThat(ExitCodes.forRunStates(List.of("HOST_KEY_REJECTED"))).isEqualTo(3);
        assertThat(ExitCodes.forRunStates(List.of("CANCELLED", "SKIPPED"))).isEqualTo(1);
    }

    @Test
    void serverErrorsMapToUsageAuthOrGeneral() {
        assertThat(ExitCodes.forStatus(400)).isEqualTo(2);
        assertThat(ExitCodes.forStatus(401)).isEqualTo(4);
        assertThat(ExitCodes.forStatus(403)).isEqualTo(4);
        assertThat(ExitCodes.forStatus(500)).isEqualTo(1);
    }
}
