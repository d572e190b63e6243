package dev.dispatch.audit;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dispatch.messaging.AuditCheckpointConsumer;
import dev.dispatch.messaging.AuditCheckpointEvent;
import dev.dispatch.tenancy.Caller;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Event;
import jakarta.persistence.EntityManager;
import jakarta.transaction.Transactional;
import java.security.MessageDigest;
import java.sql.PreparedStatement;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.hibernate.Session;
import org.jboss.logging.Logger;

/**
 * Appends audit records inside the caller's transaction, so an action and its record commit together, chains each
 * tenant's records by HMAC ({@link AuditChain}) and publishes the chain head as signed checkpoints on
 * {@code dispatch.audit-checkpoints.v1} (every {@code dispatch.audit.checkpoint-every} records here, and by
 * {@link AuditCheckpointer} within {@code dispatch.audit.checkpoint-interval}). Appends of one tenant are serialised by
 * a transaction-scoped advisory lock; the head is read from {@code audit_head}, never from the rows themselves.
 */
@ApplicationScoped
public class AuditService {
    private static final Logger LOG = Logger.getLogger(AuditService.class);
    private static final HexFormat HEX = HexFormat.of();

    private final EntityManager em;
    /** Quarkus's mapper, the one Hibernate writes {@code details} with on the entity path. */
    private final ObjectMapper json;

    private final AuditKey key;
    private final AuditConfig config;
    private final Event<AuditCheckpointEvent> checkpoints;
    private final AuditCheckpointConsumer published;

    public AuditService(
            EntityManager em,
            AuditKey key,
            AuditConfig config,
            Event<AuditCheckpointEvent> checkpoints,
            AuditCheckpointConsumer published,
            ObjectMapper json) {
        this.json = json;
        this.em = em;
        this.key = key;
        this.config = config;
        this.checkpoints = checkpoints;
        this.published = published;
    }

    /**
     * Outcome of checking a tenant's chain: how many rows were checked, the first row that does not fit (null when
     * the fault is missing rows at the end), why, and the highest published checkpoint that was compared.
     */
    public record Verification(
            boolean valid, long checked, Long brokenAt, String reason, Long checkpointSeq, int checkpoints) {}

    /** One record to append: {@code action} on {@code target} by the caller; {@code details} must not hold secrets. */
    public record Entry(Caller caller, String action, String target, String outcome, Map<String, Object> details) {}

    /** Records {@code action} on {@code target} by the caller; {@code details} must not contain secrets. */
    @Transactional(Transactional.TxType.MANDATORY)
    public void record(Caller caller, String action, String target, String outcome, Map<String, Object> details) {
        recordAll(List.of(new Entry(caller, action, target, outcome, details)));
    }

    /**
     * Records several entries at once (a group commit): per tenant one turn of the chain lock, one read and one write
     * of {@code audit_head}, the rows chained in the order given; then every row in one multi-row insert, in seq order,
     * so id order equals seq order. Tenants are locked in name order, so two groups never wait on each other in a
     * circle. The chain is exactly what {@link #record} one entry at a time would compute.
     */
    @Transactional(Transactional.TxType.MANDATORY)
    public void recordAll(List<Entry> entries) {
        Map<String, List<Entry>> byTenant = new TreeMap<>();
        for (Entry e : entries) {
            byTenant.computeIfAbsent(e.caller().tenantId(), t -> new ArrayList<>())
                    .add(e);
        }
        List<AuditEvent> rows = new ArrayList<>(entries.size());
        byTenant.forEach((tenant, list) -> append(tenant, list, rows));
        insert(rows);
    }

    private void append(String tenant, List<Entry> entries, List<AuditEvent> rows) {
        em.createNativeQuery("select pg_advisory_xact_lock(hashtext('audit:' || :tenant))")
                .setParameter("tenant", tenant)
                .getSingleResult();
        List<?> head = em.createNativeQuery(
                        "select seq, hash, checkpointed_seq from audit_head where tenant_id = :tenant for update")
                .setParameter("tenant", tenant)
                .getResultList();
        Object[] last = head.isEmpty() ? null : (Object[]) head.get(0);
        long seq = last == null ? 0 : ((Number) last[0]).longValue();
        byte[] previous = last == null ? null : (byte[]) last[1];
        long checkpointed = last == null ? 0 : ((Number) last[2]).longValue();
        List<AuditCheckpointEvent> due = new ArrayList<>();
        for (Entry entry : entries) {
            AuditEvent event = new AuditEvent();
            event.tenantId = tenant;
            event.seq = ++seq;
            event.chainVersion = AuditChain.KEYED;
            event.at = Instant.now().truncatedTo(ChronoUnit.MICROS);
            event.actor = entry.caller().subject();
            event.action = entry.action();
            event.target = entry.target();
            event.outcome = entry.outcome();
            event.source = entry.caller().source();
            event.details = entry.details();
            event.prevHash = previous;
            event.hash = AuditChain.value(key, event.prevHash, event);
            previous = event.hash;
            rows.add(event);
            if (event.seq - checkpointed >= config.checkpointEvery()) {
                checkpointed = event.seq;
                due.add(checkpoint(tenant, event.seq, event.hash));
            }
        }
        em.createNativeQuery("insert into audit_head (tenant_id, seq, hash, checkpointed_seq) "
                        + "values (:tenant, :seq, :hash, :checkpointed) on conflict (tenant_id) do update set "
                        + "seq = excluded.seq, hash = excluded.hash, checkpointed_seq = excluded.checkpointed_seq, "
                        + "updated_at = now()")
                .setParameter("tenant", tenant)
                .setParameter("seq", seq)
                .setParameter("hash", previous)
                .setParameter("checkpointed", checkpointed)
                .executeUpdate();
        due.forEach(checkpoints::fire);
    }

    /** Inserts {@code rows} in one statement, in list order (ids ascend with it). */
    private void insert(List<AuditEvent> rows) {
        if (rows.isEmpty()) {
            return;
        }
        int n = rows.size();
        String[] tenant = new String[n];
        Long[] seq = new Long[n];
        Integer[] version = new Integer[n];
        String[] at = new String[n];
        String[] actor = new String[n];
        String[] action = new String[n];
        String[] target = new String[n];
        String[] outcome = new String[n];
        String[] source = new String[n];
        String[] details = new String[n];
        String[] prev = new String[n];
        String[] hash = new String[n];
        for (int i = 0; i < n; i++) {
            AuditEvent e = rows.get(i);
            tenant[i] = e.tenantId;
            seq[i] = e.seq;
            version[i] = (int) e.chainVersion;
            at[i] = e.at.toString();
            actor[i] = e.actor;
            action[i] = e.action;
            target[i] = e.target;
            outcome[i] = e.outcome;
            source[i] = e.source;
            details[i] = e.details == null ? null : toJson(e.details);
            prev[i] = e.prevHash == null ? null : HEX.formatHex(e.prevHash);
            hash[i] = HEX.formatHex(e.hash);
        }
        em.unwrap(Session.class).doWork(connection -> {
            try (PreparedStatement ps = connection.prepareStatement("insert into audit_event (tenant_id, seq, "
                    + "chain_version, at, actor, action, target, outcome, source, details, prev_hash, hash) "
                    + "select r.tenant_id, r.seq, cast(r.chain_version as smallint), cast(r.at as timestamptz), "
                    + "r.actor, r.action, r.target, r.outcome, r.source, cast(r.details as jsonb), "
                    + "decode(r.prev_hash, 'hex'), decode(r.hash, 'hex') "
                    + "from unnest(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) with ordinality as r(tenant_id, seq, "
                    + "chain_version, at, actor, action, target, outcome, source, details, prev_hash, hash, n) "
                    + "order by r.n")) {
                ps.setArray(1, connection.createArrayOf("text", tenant));
                ps.setArray(2, connection.createArrayOf("int8", seq));
                ps.setArray(3, connection.createArrayOf("int4", version));
                ps.setArray(4, connection.createArrayOf("text", at));
                ps.setArray(5, connection.createArrayOf("text", actor));
                ps.setArray(6, connection.createArrayOf("text", action));
                ps.setArray(7, connection.createArrayOf("text", target));
                ps.setArray(8, connection.createArrayOf("text", outcome));
                ps.setArray(9, connection.createArrayOf("text", source));
                ps.setArray(10, connection.createArrayOf("text", details));
                ps.setArray(11, connection.createArrayOf("text", prev));
                ps.setArray(12, connection.createArrayOf("text", hash));
                ps.executeUpdate();
            }
        });
    }

    private String toJson(Map<String, Object> details) {
        try {
            return json.writeValueAsString(details);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("audit details not serialisable", e);
        }
    }

    /**
     * Publishes (through the outbox) a checkpoint of every tenant head that moved since its last one, at most
     * {@code limit} of them; returns how many. One process at a time does this (the others return 0).
     */
    @Transactional
    @SuppressWarnings("unchecked")
    public int checkpointPending(int limit) {
        Boolean locked = (Boolean)
                em.createNativeQuery("select pg_try_advisory_xact_lock(hashtext('dispatch-audit-checkpoint'))")
                        .getSingleResult();
        if (!Boolean.TRUE.equals(locked)) {
            return 0;
        }
        List<Object[]> heads = em.createNativeQuery("select tenant_id, seq, hash from audit_head "
                        + "where seq > checkpointed_seq order by tenant_id limit :n for update skip locked")
                .setParameter("n", limit)
                .getResultList();
        for (Object[] h : heads) {
            long seq = ((Number) h[1]).longValue();
            checkpoints.fire(checkpoint((String) h[0], seq, (byte[]) h[2]));
            em.createNativeQuery("update audit_head set checkpointed_seq = :seq where tenant_id = :tenant")
                    .setParameter("seq", seq)
                    .setParameter("tenant", h[0])
                    .executeUpdate();
        }
        return heads.size();
    }

    private AuditCheckpointEvent checkpoint(String tenant, long seq, byte[] head) {
        Instant at = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        return new AuditCheckpointEvent(
                tenant, seq, HEX.formatHex(head), at, HEX.formatHex(sign(tenant, seq, HEX.formatHex(head), at)));
    }

    private byte[] sign(String tenant, long seq, String head, Instant at) {
        return key.checkpointMac()
                .doFinal(new AuditChain.Fields()
                        .add("dispatch-audit-checkpoint-v1")
                        .add(tenant)
                        .add(seq)
                        .add(head)
                        .add(at.getEpochSecond())
                        .add(at.getNano())
                        .bytes());
    }

    private boolean signatureValid(String tenant, AuditCheckpointEvent c) {
        if (!tenant.equals(c.tenant()) || c.head() == null || c.at() == null || c.signature() == null) {
            return false;
        }
        try {
            return MessageDigest.isEqual(sign(c.tenant(), c.seq(), c.head(), c.at()), HEX.parseHex(c.signature()));
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /** The tenant's audit records, newest first, older than {@code beforeId} when given. */
    @Transactional
    public List<AuditEvent> list(String tenantId, Long beforeId, String action, int limit) {
        StringBuilder jpql = new StringBuilder("select e from AuditEvent e where e.tenantId = :tenant");
        if (beforeId != null) {
            jpql.append(" and e.id < :before");
        }
        if (action != null) {
            jpql.append(" and e.action = :action");
        }
        var query = em.createQuery(jpql.append(" order by e.id desc").toString(), AuditEvent.class)
                .setParameter("tenant", tenantId);
        if (beforeId != null) {
            query.setParameter("before", beforeId);
        }
        if (action != null) {
            query.setParameter("action", action);
        }
        return query.setMaxResults(limit).getResultList();
    }

    /**
     * Checks the tenant's whole trail: reads its signed checkpoints from Kafka first (so each refers to rows committed
     * before the rows are read), then recomputes the chain from the first row. Fails at the first row whose sequence,
     * link or HMAC does not match, at a checkpointed row whose value differs from the checkpoint, or when a
     * checkpoint (or {@code audit_head}) names a sequence beyond the last row: rows were deleted or truncated.
     */
    @Transactional
    public Verification verify(String tenantId) {
        List<AuditCheckpointEvent> read;
        try {
            read = published.read(tenantId, config.checkpointReadTimeout());
        } catch (AuditCheckpointConsumer.UnavailableException e) {
            return new Verification(false, 0, null, "checkpoints unavailable: " + e.getMessage(), null, 0);
        }
        TreeMap<Long, AuditCheckpointEvent> bySeq = new TreeMap<>();
        int forged = 0;
        for (AuditCheckpointEvent c : read) {
            if (signatureValid(tenantId, c)) {
                bySeq.put(c.seq(), c);
            } else {
                forged++;
            }
        }
        if (forged > 0) {
            LOG.warnf(
                    "audit verification of tenant %s ignored %d checkpoint(s) with an invalid signature",
                    tenantId, forged);
        }
        Long checkpointSeq = bySeq.isEmpty() ? null : bySeq.lastKey();
        int compared = bySeq.size();
        List<?> head = em.createNativeQuery("select seq from audit_head where tenant_id = :tenant")
                .setParameter("tenant", tenantId)
                .getResultList();
        long headSeq = head.isEmpty() ? 0 : ((Number) head.get(0)).longValue();

        byte[] previous = null;
        long checked = 0;
        long lastId = 0;
        boolean keyedSeen = false;
        while (true) {
            List<AuditEvent> page = em.createQuery(
                            "select e from AuditEvent e where e.tenantId = :tenant and e.id > :after order by e.id",
                            AuditEvent.class)
                    .setParameter("tenant", tenantId)
                    .setParameter("after", lastId)
                    .setMaxResults(500)
                    .getResultList();
            if (page.isEmpty()) {
                break;
            }
            for (AuditEvent e : page) {
                String fault = null;
                if (e.seq != checked + 1) {
                    fault = "record " + (checked + 1) + " is missing (next is " + e.seq + ")";
                } else if (e.chainVersion == AuditChain.LEGACY && keyedSeen) {
                    fault = "unkeyed record after keyed ones";
                } else if (e.chainVersion != AuditChain.LEGACY && e.chainVersion != AuditChain.KEYED) {
                    fault = "unknown chain version " + e.chainVersion;
                } else if (!Arrays.equals(previous, e.prevHash)) {
                    fault = "record " + e.seq + " does not link to the previous one";
                } else if (!Arrays.equals(AuditChain.value(key, previous, e), e.hash)) {
                    fault = "record " + e.seq + " was altered";
                } else {
                    AuditCheckpointEvent c = bySeq.get(e.seq);
                    if (c != null && !c.head().equals(HEX.formatHex(e.hash))) {
                        fault = "record " + e.seq + " differs from its checkpoint of " + c.at();
                    }
                }
                if (fault != null) {
                    return new Verification(false, checked, e.id, fault, checkpointSeq, compared);
                }
                keyedSeen |= e.chainVersion == AuditChain.KEYED;
                previous = e.hash;
                checked++;
                lastId = e.id;
            }
            em.clear();
        }
        if (checkpointSeq != null && checkpointSeq > checked) {
            return new Verification(
                    false,
                    checked,
                    null,
                    "records " + (checked + 1) + ".." + checkpointSeq + " are missing: checkpoint of "
                            + bySeq.lastEntry().getValue().at() + " covers them",
                    checkpointSeq,
                    compared);
        }
        if (headSeq > checked) {
            return new Verification(
                    false,
                    checked,
                    null,
                    "records " + (checked + 1) + ".." + headSeq + " are missing (audit_head)",
                    checkpointSeq,
                    compared);
        }
        return new Verification(true, checked, null, null, checkpointSeq, compared);
    }
}
