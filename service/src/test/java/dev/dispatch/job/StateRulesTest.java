package dev.dispatch.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import org.junit.jupiter.api.Test;

class StateRulesTest {
    @Test
    void runMovesOnlyForward() {
        assertThat(RunState.QUEUED.canMoveTo(RunState.RUNNING)).isTrue();
        assertThat(RunState.QUEUED.canMoveTo(RunState.SKIPPED)).isTrue();
        assertThat(RunState.QUEUED.canMoveTo(RunState.SUCCEEDED)).isFalse();
        assertThat(RunState.RUNNING.canMoveTo(RunState.LOST)).isTrue();
        assertThat(RunState.RUNNING.canMoveTo(RunState.SKIPPED)).isFalse();
        for (RunState terminal : RunState.values()) {
            if (terminal.isTerminal()) {
                for (RunState next : RunState.values()) {
                    assertThat(terminal.canMoveTo(next))
                            .as(terminal + "->" + next)
                            .isFalse();
                }
            }
        }
    }

    @Test
    void failuresExcludeSuccessCancelAndSkip() {
        assertThat(RunState.FAILED.isFailure()).isTrue();
        assertThat(RunState.LOST.isFailure()).isTrue();
        assertThat(RunState.HOST_KEY_REJECTED.isFailure()).isTrue();
        assertThat(RunState.SUCCEEDED.isFailure()).isFalse();
        assertThat(RunState.CANCELLED.isFailure()).isFalse();
        assertThat(RunState.SKIPPED.isFailure()).isFalse();
        assertThat(RunState.RUNNING.isFailure()).isFalse();
    }

    @Test
    void illegalRunMoveThrows() {
        HostRun run = new HostRun();
        run.state = RunState.SUCCEEDED;
        assertThatThrownBy(() -> run.moveTo(RunState.RUNNING, Instant.now()))
                .isInstanceOf(IllegalStateTransitionException.class);
    }

    @Test
    void jobFinishesOnceAndStampsTimes() {
        Job job = new Job();
        job.state = JobState.QUEUED;
        Instant now = Instant.now();
        job.moveTo(JobState.RUNNING, now);
        job.moveTo(JobState.SUCCEEDED, now);
        assertThat(job.startedAt).isEqualTo(now);
        assertThat(job.finishedAt).isEqualTo(now);
        assertThatThrownBy(() -> job.moveTo(JobState.FAILED, now)).isInstanceOf(IllegalStateTransitionException.class);
    }
}
