package dev.dispatch.api;

import dev.dispatch.intake.JobIntakeService;
import java.util.List;

/** What a job would do: resolved hosts in run order, number of batches, parallelism. Nothing was stored. */
public record DryRunResponse(boolean dryRun, String kind, List<String> hosts, int batches, int parallelism) {
    /** Maps a plan. */
    public static DryRunResponse from(JobIntakeService.Plan plan) {
        return new DryRunResponse(true, plan.kind(), plan.hosts(), plan.batches(), plan.parallelism());
    }
}
