package dev.dispatch.job;

import io.quarkus.hibernate.orm.panache.PanacheRepositoryBase;
import jakarta.enterprise.context.ApplicationScoped;
import java.sql.Array;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;

/** Host runs, including the claim, heartbeat and lease-expiry statements the workers race on. */
@ApplicationScoped
public class HostRunRepository implements PanacheRepositoryBase<HostRun, UUID> {
    /** SQL list of the states counting toward maxFailures, e.g. {@code 'FAILED', 'TIMED_OUT', ...}. */
    private static final String FAILURE_STATES = Arrays.stream(RunState.values())
            .filter(RunState::isFailure)
            .map(s -> "'" + s.name() + "'")
            .collect(Collectors.joining(", "));

    /**
     * Active, not cancelled jobs with queued runs, row-locked, taking turns between tenants: every tenant's least
     * recently served job first, then every tenant's second, and so on, and within a turn the tenant served least
     * recently first (so a tenant with hundreds of jobs cannot push another tenant's job out of the window or win
     * every tie); jobs another worker is claiming from are skipped.
     */
    @SuppressWarnings("unchecked")
    public List<Object[]> lockJobsWithQueuedRuns(int limit) {
        return getEntityManager()
                .createNativeQuery("""
                select j.id, j.parallelism from job j
                join (select c.id,
                             row_number() over (partition by c.tenant_id
                                                order by c.last_claim_at nulls first, c.created_at) as turn,
                             max(c.last_claim_at) over (partition by c.tenant_id) as tenant_served
                      from job c
                      where c.state in ('QUEUED', 'RUNNING') and not c.cancel_requested) t on t.id = j.id
                where exists (select 1 from host_run r where r.job_id = j.id and r.state = 'QUEUED'
                              and (r.not_before is null or r.not_before <= now()))
                order by t.turn, t.tenant_served nulls first, j.last_claim_at nulls first, j.created_at
                limit :limit
                for update of j skip locked""")
                .setParameter("limit", limit)
                .getResultList();
    }

    /** Runs of the job now running on any worker. */
    public long countRunning(UUID jobId) {
        return countNative("select count(*) from host_run where job_id = :job and state = 'RUNNING'", jobId);
    }

    /** Runs of the job not yet finished. */
    public long countUnfinished(UUID jobId) {
        return countNative(
                "select count(*) from host_run where job_id = :job and state in ('QUEUED', 'RUNNING')", jobId);
    }

    // Per-run hot path: native SQL, because Hibernate re-translates HQL count queries on every call.
    private long countNative(String sql, UUID jobId) {
        flush();
        return ((Number) getEntityManager()
                        .createNativeQuery(sql)
                        .setParameter("job", jobId)
                        .getSingleResult())
                .longValue();
    }

    /** The lowest batch of the job that still has unfinished runs; only it may run. */
    public int currentBatch(UUID jobId) {
        Object batch = getEntityManager()
                .createNativeQuery(
                        "select min(batch) from host_run where job_id = :job and state in ('QUEUED', 'RUNNING')")
                .setParameter("job", jobId)
                .getSingleResult();
        return batch == null ? 0 : ((Number) batch).intValue();
    }

    /**
     * Atomically moves up to {@code limit} queued runs of a job's batch to RUNNING under this worker's lease. While
     * the job is younger than {@code affinityGrace}, runs on hosts that another worker holds an SSH session to (a
     * {@code ssh_session_hint} row newer than {@code hintFreshness}) are left to that worker, unless this worker holds
     * one too; a zero grace claims in plain ordinal order.
     */
    @SuppressWarnings("unchecked")
    public List<UUID> claim(
            UUID jobId, int batch, String workerId, int limit, Duration affinityGrace, Duration hintFreshness) {
        return getEntityManager()
                .createNativeQuery("""
                update host_run set state = 'RUNNING', claimed_by = :worker, heartbeat_at = now(),
                       started_at = now(), attempt = attempt + 1, version = version + 1
                where id in (select r.id from host_run r
                             where r.job_id = :job and r.state = 'QUEUED' and r.batch = :batch
                               and (r.not_before is null or r.not_before <= now())
                               and (:grace = 0
                                    or not exists (select 1 from ssh_session_hint h join job j on j.id = r.job_id
                                                   where h.tenant_id = r.tenant_id and h.host_name = r.host_name
                                                     and h.worker_id <> :worker
                                                     and h.seen_at > now() - make_interval(secs => :fresh)
                                                     and j.created_at > now() - make_interval(secs => :grace))
                                    or exists (select 1 from ssh_session_hint m
                                               where m.tenant_id = r.tenant_id and m.host_name = r.host_name
                                                 and m.worker_id = :worker))
                             order by r.ordinal limit :limit for update of r skip locked)
                returning id""", UUID.class)
                .setParameter("worker", workerId)
                .setParameter("job", jobId)
                .setParameter("batch", batch)
                .setParameter("limit", limit)
                .setParameter("grace", affinityGrace.toMillis() / 1000.0)
                .setParameter("fresh", hintFreshness.toMillis() / 1000.0)
                .getResultList();
    }

    /**
     * Marks every run of the job that is still queued SKIPPED (a conditional update, so a run a worker claims at the
     * same moment is left alone) and returns them.
     */
    @SuppressWarnings("unchecked")
    public List<HostRun> skipQueued(UUID jobId, Instant now) {
        flush();
        List<UUID> ids = getEntityManager()
                .createNativeQuery("""
                update host_run set state = 'SKIPPED', finished_at = :now, version = version + 1
                where job_id = :job and state = 'QUEUED'
                returning id""", UUID.class)
                .setParameter("job", jobId)
                .setParameter("now", now)
                .getResultList();
        if (ids.isEmpty()) {
            return List.of();
        }
        List<HostRun> skipped = list("id in ?1 order by ordinal", ids);
        skipped.forEach(r -> getEntityManager().refresh(r));
        return skipped;
    }

    /** True if the job was cancelled and nothing of it runs any more (only queued runs may be left). */
    public boolean hasOnlyQueuedLeftOfCancelled(UUID jobId) {
        return countRunning(jobId) == 0
                && getEntityManager()
                        .createQuery("select j.cancelRequested from Job j where j.id = ?1", Boolean.class)
                        .setParameter(1, jobId)
                        .getSingleResult();
    }

    /** Active jobs that have nothing left to run: all runs ended, or cancelled with nothing running. */
    @SuppressWarnings("unchecked")
    public List<UUID> activeJobsWithNothingToRun() {
        return getEntityManager().createNativeQuery("""
                select j.id from job j where j.state in ('QUEUED', 'RUNNING')
                  and not exists (select 1 from host_run r where r.job_id = j.id
                                  and (r.state = 'RUNNING' or (r.state = 'QUEUED' and not j.cancel_requested)))
                limit 100""", UUID.class).getResultList();
    }

    /** Runs of the job that ended in a state counting toward {@code maxFailures}. */
    public long countFailures(UUID jobId) {
        return countNative(
                "select count(*) from host_run where job_id = :job and state in (" + FAILURE_STATES + ")", jobId);
    }

    /** Running run attempts held by this worker whose job has been cancelled. */
    @SuppressWarnings("unchecked")
    public List<RunLease> cancelledRunsHeldBy(String workerId) {
        List<Object[]> rows = getEntityManager()
                .createNativeQuery("""
                select r.id, r.attempt from host_run r join job j on j.id = r.job_id
                where r.claimed_by = :worker and r.state = 'RUNNING' and j.cancel_requested""")
                .setParameter("worker", workerId)
                .getResultList();
        return leases(rows);
    }

    private static List<RunLease> leases(List<Object[]> rows) {
        return rows.stream()
                .map(row -> new RunLease((UUID) row[0], ((Number) row[1]).intValue()))
                .toList();
    }

    /** Undoes this worker's claim of runs it never started. */
    public int release(List<UUID> runIds, String workerId) {
        return getEntityManager()
                .createNativeQuery("""
                update host_run set state = 'QUEUED', claimed_by = null, heartbeat_at = null, started_at = null,
                       attempt = attempt - 1, version = version + 1
                where id in (:ids) and state = 'RUNNING' and claimed_by = :worker""")
                .setParameter("ids", runIds)
                .setParameter("worker", workerId)
                .executeUpdate();
    }

    /**
     * Renews the leases of the given run attempts, those this worker still executes or is recording; returns the
     * attempts it still holds. One missing from the answer is no longer this worker's (declared LOST, retried): its
     * worker must stop it and drop its result.
     */
    @SuppressWarnings("unchecked")
    public Set<RunLease> heartbeat(String workerId, Collection<RunLease> leases) {
        if (leases.isEmpty()) {
            return Set.of();
        }
        List<Object[]> rows = getEntityManager()
                .createNativeQuery("""
                update host_run set heartbeat_at = now()
                where id in (select id from host_run
                             where id in (:ids) and claimed_by = :worker and state = 'RUNNING'
                             order by id for update)
                returning id, attempt""")
                .setParameter(
                        "ids", leases.stream().map(RunLease::runId).distinct().toList())
                .setParameter("worker", workerId)
                .getResultList();
        Set<RunLease> held = new HashSet<>(leases(rows));
        held.retainAll(leases);
        return held;
    }

    /**
     * Marks runs whose lease expired LOST and returns them; their worker died or lost the database. Nothing expires
     * within one lease of a PostgreSQL restart: every live worker failed its renewals during the restart too, and
     * gets a full lease to renew after it.
     */
    @SuppressWarnings("unchecked")
    public List<UUID> expireLeases(Duration lease) {
        return getEntityManager()
                .createNativeQuery("""
                update host_run set state = 'LOST', finished_at = now(), version = version + 1,
                       error = 'worker ' || coalesce(claimed_by, '?') || ' stopped renewing its lease'
                where id in (select id from host_run where state = 'RUNNING'
                               and heartbeat_at < now() - make_interval(secs => :seconds)
                               and pg_postmaster_start_time() < now() - make_interval(secs => :seconds)
                             for update skip locked)
                returning id""", UUID.class)
                .setParameter("seconds", lease.toMillis() / 1000.0)
                .getResultList();
    }

    /** The job's runs in submission order. */
    public List<HostRun> listForJob(UUID jobId) {
        return list("jobId = ?1 order by ordinal", jobId);
    }

    /** The job's run on the named host. */
    public Optional<HostRun> findForJobAndHost(UUID jobId, String hostName) {
        return find("jobId = ?1 and hostName = ?2", jobId, hostName).firstResultOptional();
    }

    /** Stored output of one stream of a run. */
    public Optional<RunOutput> output(UUID runId, String stream) {
        return Optional.ofNullable(getEntityManager().find(RunOutput.class, new RunOutput.Key(runId, stream)));
    }

    /** At most the first {@code maxBytes} of a run's stored stream (empty when nothing is stored). */
    public byte[] outputHead(UUID runId, String stream, int maxBytes) {
        List<?> rows = getEntityManager()
                .createNativeQuery(
                        "select substring(data from 1 for :max) from run_output where run_id = :run and stream = :stream")
                .setParameter("max", maxBytes)
                .setParameter("run", runId)
                .setParameter("stream", stream)
                .getResultList();
        return rows.isEmpty() || rows.get(0) == null ? new byte[0] : (byte[]) rows.get(0);
    }

    /**
     * The job's runs grouped by state, exit code, exit signal and stored stdout (its SHA-256, total size and cut
     * flag), computed in PostgreSQL so no output is loaded here; largest group first, then by first host. Each group
     * names one representative run whose stdout stands for all of it.
     */
    @SuppressWarnings("unchecked")
    public List<OutputGroup> groupByOutput(UUID jobId) {
        List<Object[]> rows = getEntityManager()
                .createNativeQuery("""
                select r.state, r.exit_code, r.exit_signal, coalesce(o.total_bytes, 0),
                       coalesce(o.truncated, false), count(*), array_agg(r.host_name order by r.ordinal),
                       (array_agg(r.id order by r.ordinal))[1]
                from host_run r left join run_output o on o.run_id = r.id and o.stream = 'stdout'
                where r.job_id = :job
                group by r.state, r.exit_code, r.exit_signal, coalesce(o.total_bytes, 0),
                         coalesce(o.truncated, false), sha256(coalesce(o.data, ''::bytea))
                order by count(*) desc, min(r.ordinal)""")
                .setParameter("job", jobId)
                .getResultList();
        return rows.stream()
                .map(row -> new OutputGroup(
                        RunState.valueOf((String) row[0]),
                        row[1] == null ? null : ((Number) row[1]).intValue(),
                        (String) row[2],
                        ((Number) row[3]).longValue(),
                        (Boolean) row[4],
                        ((Number) row[5]).intValue(),
                        names(row[6]),
                        (UUID) row[7]))
                .toList();
    }

    private static List<String> names(Object array) {
        try {
            Object[] values = array instanceof Array sql ? (Object[]) sql.getArray() : (Object[]) array;
            return Arrays.stream(values).map(String.class::cast).toList();
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}
