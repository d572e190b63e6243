package dev.dispatch.job;

import io.quarkus.hibernate.orm.panache.PanacheRepositoryBase;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.LockModeType;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;

/** Jobs, always looked up within a tenant. */
@ApplicationScoped
public class JobRepository implements PanacheRepositoryBase<Job, UUID> {

    /** The tenant's job, or empty when it does not exist or belongs to another tenant. */
    public Optional<Job> findInTenant(String tenantId, UUID id) {
        return find("id = ?1 and tenantId = ?2", id, tenantId).firstResultOptional();
    }

    /**
     * Which of the given (tenant, idempotency key) pairs a job already holds, in one query; each pair as
     * {@code List.of(tenantId, key)}.
     */
    public Set<List<String>> existingKeys(Collection<String> tenantIds, Collection<String> keys) {
        Set<List<String>> found = new HashSet<>();
        if (tenantIds.isEmpty() || keys.isEmpty()) {
            return found;
        }
        List<Object[]> rows = getEntityManager()
                .createQuery(
                        "select j.tenantId, j.idempotencyKey from Job j "
                                + "where j.tenantId in :tenants and j.idempotencyKey in :keys",
                        Object[].class)
                .setParameter("tenants", tenantIds)
                .setParameter("keys", keys)
                .getResultList();
        for (Object[] row : rows) {
            found.add(List.of((String) row[0], (String) row[1]));
        }
        return found;
    }

    /** The tenant's job with the given idempotency key. */
    public Optional<Job> findByIdempotencyKey(String tenantId, String key) {
        return find("tenantId = ?1 and idempotencyKey = ?2", tenantId, key).firstResultOptional();
    }

    /** Loads a job and locks its row until the transaction ends (serialises run completions of one job). */
    public Job lock(UUID id) {
        return getEntityManager().find(Job.class, id, LockModeType.PESSIMISTIC_WRITE);
    }

    /** Run counts by state for several jobs at once (one query), each in state order. */
    public Map<UUID, Map<String, Long>> summaries(List<UUID> jobIds) {
        Map<UUID, Map<String, Long>> result = new HashMap<>();
        if (jobIds.isEmpty()) {
            return result;
        }
        List<Object[]> rows = getEntityManager()
                .createQuery(
                        "select r.jobId, r.state, count(r) from HostRun r where r.jobId in ?1 "
                                + "group by r.jobId, r.state",
                        Object[].class)
                .setParameter(1, jobIds)
                .getResultList();
        for (Object[] row : rows) {
            result.computeIfAbsent((UUID) row[0], k -> new TreeMap<>(Comparator.comparing(RunState::valueOf)))
                    .put(((RunState) row[1]).name(), (Long) row[2]);
        }
        return result;
    }

    /** Counts of the job's host runs by state, in state order. */
    public Map<String, Long> summary(UUID jobId) {
        List<Object[]> rows = getEntityManager()
                .createQuery(
                        "select r.state, count(r) from HostRun r where r.jobId = ?1 group by r.state", Object[].class)
                .setParameter(1, jobId)
                .getResultList();
        Map<String, Long> summary = new LinkedHashMap<>();
        for (RunState state : RunState.values()) {
            for (Object[] row : rows) {
                if (row[0] == state) {
                    summary.put(state.name(), (Long) row[1]);
                }
            }
        }
        return summary;
    }
}
