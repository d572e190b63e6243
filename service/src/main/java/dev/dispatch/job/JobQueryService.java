package dev.dispatch.job;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.transaction.Transactional;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.HashMap;
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
    public record JobView(Job job, Map<String, Long> summary) {}

    /** A page of jobs, newest first, and the cursor of the next page (null on the last page). */
    public record Page(List<JobView> jobs, String nextCursor) {}

    /** Filters of the job list; null fields do not filter. {@code label} is {@code key=value}. */
    public record Filter(JobState state, String kind, String label, Instant since) {}

    /**
     * The tenant's jobs, newest first, {@code limit} per page. The cursor is opaque to clients (the last row's
     * creation time and id), so pages stay stable while new jobs arrive.
     */
    @Transactional
    @SuppressWarnings("unchecked")
    public Page list(String tenantId, Filter filter, String cursor, int limit) {
        StringBuilder sql = new StringBuilder("select id from job where tenant_id = :tenant");
        Map<String, Object> params = new HashMap<>(Map.of("tenant", tenantId));
        if (filter.state() != null) {
            sql.append(" and state = :state");
            params.put("state", filter.state().name());
        }
        if (filter.kind() != null) {
            sql.append(" and kind = :kind");
            params.put("kind", filter.kind());
        }
        if (filter.since() != null) {
            sql.append(" and created_at >= :since");
            params.put("since", filter.since());
        }
        if (filter.label() != null) {
            int eq = filter.label().indexOf('=');
            String key = eq < 0 ? filter.label() : filter.label().substring(0, eq);
            if (eq < 0) {
                sql.append(" and jsonb_exists(request -> 'labels', :labelKey)");
            } else {
                sql.append(" and request -> 'labels' ->> :labelKey = :labelValue");
                params.put("labelValue", filter.label().substring(eq + 1));
            }
            params.put("labelKey", key);
        }
        if (cursor != null) {
            Cursor c = Cursor.decode(cursor);
            sql.append(" and (created_at, id) < (:cursorAt, :cursorId)");
            params.put("cursorAt", c.createdAt());
            params.put("cursorId", c.id());
        }
        sql.append(" order by created_at desc, id desc limit :limit");
        params.put("limit", limit + 1);
        var query = jobs.getEntityManager().createNativeQuery(sql.toString(), UUID.class);
        params.forEach(query::setParameter);
        List<UUID> ids = query.getResultList();
        boolean more = ids.size() > limit;
        List<UUID> pageIds = more ? ids.subList(0, limit) : ids;
        Map<UUID, Job> byId = new HashMap<>();
        if (!pageIds.isEmpty()) {
            jobs.list("id in ?1", pageIds).forEach(j -> byId.put(j.id, j));
        }
        Map<UUID, Map<String, Long>> summaries = jobs.summaries(pageIds);
        List<JobView> views = pageIds.stream()
                .map(id -> new JobView(byId.get(id), summaries.getOrDefault(id, Map.of())))
                .toList();
        Job last = views.isEmpty() ? null : views.get(views.size() - 1).job();
        return new Page(views, more && last != null ? new Cursor(last.createdAt, last.id).encode() : null);
    }

    /** Position after a row of the job list. */
    record Cursor(Instant createdAt, UUID id) {
        String encode() {
            return Base64.getUrlEncoder()
                    .withoutPadding()
                    .encodeToString(
                            (createdAt.toString() + "|" + id).getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }

        static Cursor decode(String text) {
            try {
                String[] parts = new String(Base64.getUrlDecoder().decode(text), StandardCharsets.UTF_8).split("\\|");
                return new Cursor(Instant.parse(parts[0]), UUID.fromString(parts[1]));
            } catch (RuntimeException e) {
                throw dev.dispatch.InvalidRequestException.of("cursor", "is not a cursor this service issued");
            }
        }
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

    /**
     * Runs of the tenant's job that ended alike, grouped as {@link HostRunRepository#groupByOutput}, largest first;
     * {@code stdout} is the head of the group's stored stdout, {@code partial} when that is not all of it.
     */
    public record OutputGroupView(OutputGroup group, byte[] stdout, boolean partial) {}

    /**
     * The tenant's job's runs grouped by stored stdout and outcome. Only the head of each group's stdout is read
     * (from its representative run): at most {@code perGroupBytes} per group and {@code totalBytes} for the whole
     * answer; groups past the total carry no stdout. Memory is bounded by {@code totalBytes}, whatever the job.
     */
    @Transactional
    public List<OutputGroupView> runsByOutput(String tenantId, String jobId, int perGroupBytes, long totalBytes) {
        List<OutputGroup> groups = runs.groupByOutput(find(tenantId, jobId).id);
        List<OutputGroupView> views = new ArrayList<>(groups.size());
        long left = totalBytes;
        for (OutputGroup g : groups) {
            int budget = (int) Math.min(perGroupBytes, left);
            byte[] head = budget > 0 && g.stdoutBytes() > 0
                    ? runs.outputHead(g.representative(), "stdout", budget)
                    : new byte[0];
            left -= head.length;
            views.add(new OutputGroupView(g, head, head.length < g.stdoutBytes()));
        }
        return views;
    }

    /** One run of the tenant's job, by host name. */
    @Transactional
    public HostRun run(String tenantId, String jobId, String host) {
        Job job = find(tenantId, jobId);
        return runs.findForJobAndHost(job.id, host).orElseThrow(() -> new HostRunNotFoundException(jobId, host));
    }

    /** Stored output of one stream of a run; empty bytes when the host printed nothing on it. */
    @Transactional
    public Optional<RunOutput> output(String tenantId, String jobId, String host, String stream) {
        Job job = find(tenantId, jobId);
        HostRun run = runs.findForJobAndHost(job.id, host).orElseThrow(() -> new HostRunNotFoundException(jobId, host));
        return runs.output(run.id, stream);
    }

    /**
     * The state of the given jobs (any tenant: callers checked access when they started watching) and their runs
     * that left the queue, one query for the jobs, then one for their runs; unknown ids are left out.
     */
    @Transactional
    public List<JobProgress> progress(Collection<UUID> jobIds) {
        if (jobIds.isEmpty()) {
            return List.of();
        }
        List<Job> found = jobs.list("id in ?1", jobIds);
        Map<UUID, List<HostRun>> byJob = new HashMap<>();
        runs.list("jobId in ?1 and state <> ?2 order by ordinal", jobIds, RunState.QUEUED)
                .forEach(r ->
                        byJob.computeIfAbsent(r.jobId, k -> new ArrayList<>()).add(r));
        return found.stream()
                .map(j -> new JobProgress(
                        j.id, j, j.state.isTerminal() ? jobs.summary(j.id) : null, byJob.getOrDefault(j.id, List.of())))
                .toList();
    }

    /** Stored output of one stream of a run by run id (callers checked access to its job). */
    @Transactional
    public Optional<RunOutput> storedOutput(UUID runId, String stream) {
        return runs.output(runId, stream);
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
