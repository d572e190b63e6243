package dev.dispatch.job;

import io.quarkus.hibernate.orm.panache.PanacheRepositoryBase;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/** Host runs, including the claim, heartbeat and lease-expiry statements the workers race on. */
@ApplicationScoped
public class HostRunRepository implements PanacheRepositoryBase<HostRun, UUID> {

    /** Active jobs with queued runs, oldest first, row-locked; jobs another worker is claiming are skipped. */
    @SuppressWarnings("unchecked")
    public List<Object[]> lockJobsWithQueuedRuns(int limit) {
        return getEntityManager().createNativeQuery("""
                select j.id, j.parallelism from job j
                where j.state in ('QUEUED', 'RUNNING')
                  and exists (select 1 from host_run r where r.job_id = j.id and r.state = 'QUEUED')
                order by j.created_at
                limit :limit
                for update of j skip locked""")
                .setParameter("limit", limit)
                .getResultList();
    }

    /** Runs of the job now running on any worker. */
    public long countRunning(UUID jobId) {
        return count("jobId = ?1 and state = ?2", jobId, RunState.RUNNING);
    }

    /** Runs of the job not yet finished. */
    public long countUnfinished(UUID jobId) {
        return count("jobId = ?1 and state in ?2", jobId, List.of(RunState.QUEUED, RunState.RUNNING));
    }

    /** Atomically moves up to {@code limit} queued runs of a job to RUNNING under this worker's lease. */
    @SuppressWarnings("unchecked")
    public List<UUID> claim(UUID jobId, String workerId, int limit) {
        return getEntityManager().createNativeQuery("""
                update host_run set state = 'RUNNING', claimed_by = :worker, heartbeat_at = now(),
                       started_at = now(), attempt = attempt + 1, version = version + 1
                where id in (select id from host_run where job_id = :job and state = 'QUEUED'
                             order by ordinal limit :limit for update skip locked)
                returning id""", UUID.class)
                .setParameter("worker", workerId)
                .setParameter("job", jobId)
                .setParameter("limit", limit)
                .getResultList();
    }

    /** Renews the lease of every run this worker holds; returns how many it still holds. */
    public int heartbeat(String workerId) {
        return getEntityManager().createNativeQuery("""
                update host_run set heartbeat_at = now()
                where claimed_by = :worker and state = 'RUNNING'""")
                .setParameter("worker", workerId)
                .executeUpdate();
    }

    /** Marks runs whose lease expired LOST and returns them; their worker died or lost the database. */
    @SuppressWarnings("unchecked")
    public List<UUID> expireLeases(Duration lease) {
        return getEntityManager().createNativeQuery("""
                update host_run set state = 'LOST', finished_at = now(), version = version + 1,
                       error = 'worker ' || coalesce(claimed_by, '?') || ' stopped renewing its lease'
                where id in (select id from host_run where state = 'RUNNING'
                               and heartbeat_at < now() - make_interval(secs => :seconds)
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
}
