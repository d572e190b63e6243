package dev.dispatch.job;

import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * A job's state and its runs that left the queue (started or ended), as read for live event streams. The job row is
 * read before its runs, so when {@code state} is terminal every run listed is terminal too. {@code summary} is set
 * only for a terminal job. The runs are detached entities in submission order; read them, never change them.
 */
public record JobProgress(UUID jobId, Job job, Map<String, Long> summary, List<HostRun> runs) {}
