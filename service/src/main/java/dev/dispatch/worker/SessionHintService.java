package dev.dispatch.worker;

import dev.dispatch.ssh.SshSessionPool.HeldSession;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.EntityManager;
import jakarta.persistence.Query;
import jakarta.transaction.Transactional;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The {@code ssh_session_hint} rows through which workers tell each other which hosts they hold SSH sessions to, so
 * the claim can hand a host's runs to the worker that already has a session (connection affinity). Advisory only.
 */
@ApplicationScoped
public class SessionHintService {
    private static final int ROWS_PER_INSERT = 500;

    private final EntityManager em;

    public SessionHintService(EntityManager em) {
        this.em = em;
    }

    /** Replaces this worker's hints with {@code held}, stamped now. */
    @Transactional
    public void replace(String workerId, Set<HeldSession> held) {
        deleteAll(workerId);
        List<HeldSession> rows = new ArrayList<>(held);
        for (int from = 0; from < rows.size(); from += ROWS_PER_INSERT) {
            List<HeldSession> chunk = rows.subList(from, Math.min(rows.size(), from + ROWS_PER_INSERT));
            StringBuilder sql =
                    new StringBuilder("insert into ssh_session_hint (tenant_id, host_name, worker_id) values ");
            for (int i = 0; i < chunk.size(); i++) {
                sql.append(i == 0 ? "" : ", ")
                        .append("(:t")
                        .append(i)
                        .append(", :h")
                        .append(i)
                        .append(", :worker)");
            }
            Query insert = em.createNativeQuery(sql.toString()).setParameter("worker", workerId);
            for (int i = 0; i < chunk.size(); i++) {
                insert.setParameter("t" + i, chunk.get(i).tenantId())
                        .setParameter("h" + i, chunk.get(i).hostName());
            }
            insert.executeUpdate();
        }
    }

    /** Marks this worker's hints as still true. */
    @Transactional
    public void touch(String workerId) {
        em.createNativeQuery("update ssh_session_hint set seen_at = now() where worker_id = :worker")
                .setParameter("worker", workerId)
                .executeUpdate();
    }

    /** Removes hints nobody refreshed for {@code age} (their worker is gone). */
    @Transactional
    public void expire(Duration age) {
        em.createNativeQuery("delete from ssh_session_hint where seen_at < now() - make_interval(secs => :age)")
                .setParameter("age", age.toMillis() / 1000.0)
                .executeUpdate();
    }

    /** Removes all of this worker's hints (it is stopping). */
    @Transactional
    public void clear(String workerId) {
        deleteAll(workerId);
    }

    private void deleteAll(String workerId) {
        em.createNativeQuery("delete from ssh_session_hint where worker_id = :worker")
                .setParameter("worker", workerId)
                .executeUpdate();
    }
}
