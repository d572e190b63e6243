package dev.dispatch.job;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.transaction.Transactional;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/** Read side of jobs for one tenant: a job, its runs, stored output. Unknown and foreign ids look the same. */
@ApplicationScoped
public class JobQueryService {
    private final JobRepository jobs;
    private final HostRunRepository runs;

    public JobQueryService(JobRepository jobs, HostRunRepository runs) {
        this.jobs = jobs;
        this.runs = runs;
    }

    /** A job with its run summary. */
    public record JobView(Job job, Map<String, Long> summary) {
    }

    /** The tenant's job. */
    @Transactional
    public JobView get(String tenantId, String jobId) {
        Job job = find(tenantId, jobId);
        return new JobView(job, jobs.summary(job.id));
    }

    /** The runs of the tenant's job, in submission order. */
    @Transactional
    public List<HostRun> runs(String tenantId, String jobId) {
        return runs.listForJob(find(tenantId, jobId).id);
    }

    /** Stored output of one stream of a run; empty bytes when the host printed nothing on it. */
    @Transactional
    public Optional<RunOutput> output(String tenantId, String jobId, String host, String stream) {
        Job job = find(tenantId, jobId);
        HostRun run = runs.findForJobAndHost(job.id, host)
                .orElseThrow(() -> new HostRunNotFoundException(jobId, host));
        return runs.output(run.id, stream);
    }

    private Job find(String tenantId, String jobId) {
        UUID id;
        try {
            id = UUID.fromString(jobId);
        } catch (IllegalArgumentException e) {
            throw new JobNotFoundException(jobId);
        }
        return jobs.findInTenant(tenantId, id).orElseThrow(() -> new JobNotFoundException(id));
    }
}
