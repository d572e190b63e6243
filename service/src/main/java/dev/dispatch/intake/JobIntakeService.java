package dev.dispatch.intake;

import dev.dispatch.InvalidRequestException;
import dev.dispatch.InvalidRequestException.Violation;
import dev.dispatch.artifact.ArtifactService;
import dev.dispatch.audit.AuditService;
import dev.dispatch.inventory.CredentialCipher;
import dev.dispatch.inventory.Host;
import dev.dispatch.inventory.HostRepository;
import dev.dispatch.inventory.InventoryService;
import dev.dispatch.job.HostRun;
import dev.dispatch.job.HostRunRepository;
import dev.dispatch.job.HostRunService;
import dev.dispatch.job.Job;
import dev.dispatch.job.JobKind;
import dev.dispatch.job.JobNotFoundException;
import dev.dispatch.job.JobRepository;
import dev.dispatch.job.JobRequest;
import dev.dispatch.job.JobSecrets;
import dev.dispatch.job.JobState;
import dev.dispatch.job.RunState;
import dev.dispatch.messaging.EventOutbox;
import dev.dispatch.messaging.JobEvent;
import dev.dispatch.tenancy.Caller;
import dev.dispatch.tenancy.TenantService;
import io.quarkus.narayana.jta.QuarkusTransaction;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.regex.Pattern;
import org.hibernate.exception.ConstraintViolationException;

/**
 * The one way jobs enter the system, behind REST and Kafka: validates a request (naming every violation), resolves
 * its targets within the caller's tenant, and stores the job, its host runs and the audit record in one transaction.
 * A repeated idempotency key returns the first job; the database's unique constraint decides races.
 */
@ApplicationScoped
public class JobIntakeService {
    private static final Pattern MODE = Pattern.compile("0?[0-7]{3}|[0-7]{4}");
    private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    private static final String IDEMPOTENCY_CONSTRAINT = "job_idempotency_key_unique";
    private static final int MAX_RETRIES = 10;

    private final IntakeConfig config;
    private final HostRepository hosts;
    private final JobRepository jobs;
    private final HostRunRepository runs;
    private final TenantService tenants;
    private final AuditService audit;
    private final HostRunService runService;
    private final InventoryService inventory;
    private final ArtifactService artifacts;
    private final CredentialCipher cipher;
    private final EventOutbox outbox;

    public JobIntakeService(
            IntakeConfig config,
            HostRepository hosts,
            JobRepository jobs,
            HostRunRepository runs,
            TenantService tenants,
            AuditService audit,
            HostRunService runService,
            InventoryService inventory,
            ArtifactService artifacts,
            CredentialCipher cipher,
            EventOutbox outbox) {
        this.outbox = outbox;
        this.artifacts = artifacts;
        this.cipher = cipher;
        this.runService = runService;
        this.inventory = inventory;
        this.config = config;
        this.hosts = hosts;
        this.jobs = jobs;
        this.runs = runs;
        this.tenants = tenants;
        this.audit = audit;
    }

    /**
     * Submits a job. {@code headerKey} is an idempotency key given outside the body (REST header, Kafka key).
     *
     * @throws InvalidRequestException naming every violation; nothing is written then
     */
    public SubmissionResult submit(Caller caller, JobRequest request, String headerKey) {
        JobRequest effective = withKey(request, headerKey);
        String key = effective.idempotencyKey();
        try {
            return QuarkusTransaction.requiringNew().call(() -> create(caller, effective));
        } catch (RuntimeException e) {
            if (key != null && isIdempotencyConflict(e)) {
                return QuarkusTransaction.requiringNew()
                        .call(() -> new SubmissionResult(
                                jobs.findByIdempotencyKey(caller.tenantId(), key)
                                        .orElseThrow(() -> e),
                                false));
            }
            throw e;
        }
    }

    /**
     * Submits several jobs in one transaction (a group commit: one commit, one turn of the tenant's audit chain lock
     * for all of them), for Kafka intake's batches. A request that is invalid is refused alone, without touching the
     * rest; any other failure rolls the whole group back and is thrown, so the caller can submit them one by one.
     *
     * @return per request, null when it is stored (or was already: same idempotency key), else why it was refused
     */
    public List<InvalidRequestException> submitGroup(List<Caller> callers, List<JobRequest> requests) {
        return QuarkusTransaction.requiringNew().call(() -> {
            int n = requests.size();
            List<InvalidRequestException> refused = new ArrayList<>(Collections.nCopies(n, null));
            Set<String> tenantIds = new HashSet<>();
            Set<String> keys = new HashSet<>();
            for (int i = 0; i < n; i++) {
                try {
                    precheck(requests.get(i));
                    if (requests.get(i).idempotencyKey() != null) {
                        tenantIds.add(callers.get(i).tenantId());
                        keys.add(requests.get(i).idempotencyKey());
                    }
                } catch (InvalidRequestException e) {
                    refused.set(i, e);
                }
            }
            // Keys already stored, then each key of this group once accepted: a later record with it is a duplicate.
            Set<List<String>> taken = jobs.existingKeys(tenantIds, keys);
            List<Accepted> accepted = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                if (refused.get(i) != null) {
                    continue;
                }
                Caller caller = callers.get(i);
                JobRequest request = requests.get(i);
                List<String> key =
                        request.idempotencyKey() == null ? null : List.of(caller.tenantId(), request.idempotencyKey());
                if (key != null && taken.contains(key)) {
                    continue;
                }
                try {
                    accepted.add(accept(caller, request, null));
                    if (key != null) {
                        taken.add(key);
                    }
                } catch (InvalidRequestException e) {
                    refused.set(i, e);
                }
            }
            store(accepted);
            return refused;
        });
    }

    /** What a request would do, without doing it: the resolved hosts in run order and the batches. */
    public record Plan(String kind, List<String> hosts, int batches, int parallelism) {}

    /**
     * Validates and resolves a request without storing or running anything ({@code ?dryRun=true}).
     *
     * @throws InvalidRequestException naming every violation
     */
    public Plan plan(Caller caller, JobRequest request) {
        precheck(request);
        return QuarkusTransaction.requiringNew().call(() -> {
            List<Violation> violations = new ArrayList<>();
            JobKind kind = validateShape(request, violations);
            validateFile(caller.tenantId(), kind, request, violations);
            List<String> targets = resolveTargets(caller.tenantId(), request.targets(), violations);
            if (!violations.isEmpty()) {
                throw new InvalidRequestException(violations);
            }
            int batchSize = request.batchSize() == null ? Math.max(1, targets.size()) : request.batchSize();
            return new Plan(
                    kind.wireName(),
                    targets,
                    (targets.size() + batchSize - 1) / batchSize,
                    request.parallelism() == null ? config.defaultParallelism() : request.parallelism());
        });
    }

    /**
     * Submits a new job repeating {@code jobId} on the hosts whose runs ended in one of {@code states}
     * (default: every state but SUCCEEDED).
     *
     * @throws JobNotFoundException for unknown or foreign jobs
     * @throws InvalidRequestException when no run matches or the job is still active
     */
    public SubmissionResult retry(Caller caller, String jobId, List<String> states) {
        return QuarkusTransaction.requiringNew().call(() -> {
            Job original = findOwn(caller, jobId);
            if (!original.state.isTerminal()) {
                throw InvalidRequestException.of("job", "job " + jobId + " is still " + original.state);
            }
            Set<RunState> wanted = EnumSet.noneOf(RunState.class);
            if (states == null || states.isEmpty()) {
                for (RunState s : RunState.values()) {
                    if (s.isTerminal() && s != RunState.SUCCEEDED) {
                        wanted.add(s);
                    }
                }
            } else {
                for (int i = 0; i < states.size(); i++) {
                    try {
                        wanted.add(RunState.valueOf(states.get(i)));
                    } catch (IllegalArgumentException | NullPointerException e) {
                        throw InvalidRequestException.of(
                                "states[" + i + "]", "unknown run state '" + states.get(i) + "'");
                    }
                }
            }
            List<String> hosts = runs.listForJob(original.id).stream()
                    .filter(r -> wanted.contains(r.state))
                    .map(r -> r.hostName)
                    .toList();
            if (hosts.isEmpty()) {
                throw InvalidRequestException.of("states", "no run of job " + jobId + " ended in " + wanted);
            }
            // The secrets are opened here only to be validated and sealed again for the new job, never shown.
            JobRequest r = original.request;
            if (original.secrets != null) {
                try {
                    r = JobSecrets.fromJson(cipher.decrypt(
                                    original.secrets, JobSecrets.context(original.tenantId, original.id)))
                            .applyTo(r);
                } catch (IllegalStateException e) {
                    throw InvalidRequestException.of(
                            "job",
                            "the secrets of job " + jobId + " cannot be opened (" + e.getMessage()
                                    + "); submit it again");
                }
            }
            JobRequest again = new JobRequest(
                    r.kind(),
                    new JobRequest.Targets(hosts, null, null),
                    r.command(),
                    r.input(),
                    r.env(),
                    r.timeout(),
                    r.parallelism(),
                    r.batchSize(),
                    r.maxFailures(),
                    r.retries(),
                    r.file(),
                    null,
                    r.labels());
            return create(caller, again, original.id);
        });
    }

    /**
     * Cancels the caller's job: queued runs are skipped, running commands are signalled and closed.
     *
     * @return false when the job had already ended
     */
    public boolean cancel(Caller caller, String jobId) {
        return QuarkusTransaction.requiringNew().call(() -> {
            Job job = findOwn(caller, jobId);
            boolean cancelled = runService.cancel(job.id);
            audit.record(
                    caller,
                    "job.cancel",
                    "job/" + job.id,
                    cancelled ? "cancelled" : "already-ended",
                    Map.of("state", job.state.name()));
            return cancelled;
        });
    }

    private Job findOwn(Caller caller, String jobId) {
        try {
            return jobs.findInTenant(caller.tenantId(), UUID.fromString(jobId))
                    .orElseThrow(() -> new JobNotFoundException(jobId));
        } catch (IllegalArgumentException e) {
            throw new JobNotFoundException(jobId);
        }
    }

    private SubmissionResult create(Caller caller, JobRequest request) {
        return create(caller, request, null);
    }

    private SubmissionResult create(Caller caller, JobRequest request, UUID retryOf) {
        precheck(request);
        if (request.idempotencyKey() != null) {
            var existing = jobs.findByIdempotencyKey(caller.tenantId(), request.idempotencyKey());
            if (existing.isPresent()) {
                return new SubmissionResult(existing.get(), false);
            }
        }
        Accepted accepted = accept(caller, request, retryOf);
        store(List.of(accepted));
        return new SubmissionResult(accepted.job(), true);
    }

    /** A validated request as the rows that store it: the job, its host runs in order, its audit record. */
    private record Accepted(Job job, List<HostRun> runs, AuditService.Entry audit) {}

    /**
     * Validates and resolves a request (already prechecked) and builds its rows, writing nothing.
     *
     * @throws InvalidRequestException naming every violation
     */
    private Accepted accept(Caller caller, JobRequest request, UUID retryOf) {
        List<Violation> violations = new ArrayList<>();
        JobKind kind = validateShape(request, violations);
        validateFile(caller.tenantId(), kind, request, violations);
        List<String> targets = resolveTargets(caller.tenantId(), request.targets(), violations);
        if (!violations.isEmpty()) {
            throw new InvalidRequestException(violations);
        }
        Instant now = Instant.now();
        Job job = new Job();
        job.id = UUID.randomUUID();
        job.tenantId = caller.tenantId();
        job.kind = kind.wireName();
        job.state = JobState.QUEUED;
        JobSecrets secrets = JobSecrets.of(request);
        job.request = JobSecrets.strip(request);
        if (!secrets.isEmpty()) {
            job.secrets = cipher.encrypt(secrets.toJson(), JobSecrets.context(job.tenantId, job.id));
            job.secretDigests = secrets.digests();
        }
        job.submittedBy = caller.subject();
        job.source = caller.source();
        job.idempotencyKey = request.idempotencyKey();
        job.parallelism = request.parallelism() == null ? config.defaultParallelism() : request.parallelism();
        job.hostCount = targets.size();
        job.retryOf = retryOf;
        job.batchSize = request.batchSize();
        job.maxFailures = request.maxFailures();
        job.retries = request.retries() == null ? 0 : request.retries();
        job.timeoutMillis =
                (request.timeout() == null ? config.defaultTimeout() : Duration.parse(request.timeout())).toMillis();
        job.createdAt = now;
        List<HostRun> jobRuns = new ArrayList<>(targets.size());
        int ordinal = 0;
        for (String host : targets) {
            HostRun run = new HostRun();
            run.id = UUID.randomUUID();
            run.jobId = job.id;
            run.tenantId = job.tenantId;
            run.hostName = host;
            run.batch = job.batchSize == null ? 0 : ordinal / job.batchSize;
            run.ordinal = ordinal++;
            run.state = RunState.QUEUED;
            jobRuns.add(run);
        }
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("kind", job.kind);
        details.put("hosts", targets.size());
        if (job.idempotencyKey != null) {
            details.put("idempotencyKey", job.idempotencyKey);
        }
        return new Accepted(
                job, jobRuns, new AuditService.Entry(caller, "job.submit", "job/" + job.id, "accepted", details));
    }

    /**
     * Stores accepted jobs, one or a group, in the current transaction with as few statements as their number allows:
     * the tenants (once each), the jobs and then their runs as JDBC batches in one flush, the audit records through
     * one turn of each tenant's chain ({@link AuditService#recordAll}), and the "accepted" events in one outbox insert.
     */
    private void store(List<Accepted> accepted) {
        if (accepted.isEmpty()) {
            return;
        }
        new TreeSet<>(accepted.stream().map(a -> a.job().tenantId).toList()).forEach(tenants::ensureExists);
        accepted.forEach(a -> jobs.persist(a.job()));
        accepted.forEach(a -> a.runs().forEach(runs::persist));
        jobs.flush();
        audit.recordAll(accepted.stream().map(Accepted::audit).toList());
        outbox.jobEvents(accepted.stream()
                .map(a -> JobEvent.of("accepted", a.job(), Map.of(RunState.QUEUED.name(), (long)
                        a.runs().size())))
                .toList());
    }

    /**
     * What is checked before anything touches the database: every string of the request must be text PostgreSQL can
     * store (no NUL, no unpaired surrogate; names and keys also free of control characters), or it would fail inside
     * a lookup or the insert as an error instead of a violation; and every size limit (hosts, groups, command, env,
     * labels), so that no oversized request costs a query or memory beyond its own bytes.
     *
     * @throws InvalidRequestException naming every offending field and the limit it exceeds
     */
    private void precheck(JobRequest r) {
        List<Violation> v = new ArrayList<>();
        storableText(r, v);
        withinLimits(r, v);
        if (!v.isEmpty()) {
            throw new InvalidRequestException(v);
        }
    }

    private void withinLimits(JobRequest r, List<Violation> v) {
        if (r.command() != null && utf8Length(r.command()) > config.maxCommandBytes()) {
            v.add(new Violation(
                    "command", "exceeds " + config.maxCommandBytes() + " bytes (dispatch.intake.max-command-bytes)"));
        }
        if (r.env() != null) {
            if (r.env().size() > config.maxEnvEntries()) {
                v.add(new Violation(
                        "env",
                        "has " + r.env().size() + " entries; at most " + config.maxEnvEntries()
                                + " (dispatch.intake.max-env-entries)"));
            }
            long bytes = 0;
            for (Map.Entry<String, String> e : r.env().entrySet()) {
                bytes += utf8Length(e.getKey()) + (e.getValue() == null ? 0 : utf8Length(e.getValue()));
            }
            if (bytes > config.maxEnvBytes()) {
                v.add(new Violation(
                        "env",
                        "has " + bytes + " bytes; at most " + config.maxEnvBytes()
                                + " (dispatch.intake.max-env-bytes)"));
            }
        }
        labelLimits("labels", r.labels(), v);
        JobRequest.Targets t = r.targets();
        if (t != null) {
            if (t.hosts() != null && t.hosts().size() > config.maxHosts()) {
                v.add(new Violation(
                        "targets.hosts",
                        "names " + t.hosts().size() + " hosts; at most " + config.maxHosts()
                                + " (dispatch.intake.max-hosts)"));
            } else {
                nameLengths("targets.hosts", t.hosts(), v);
            }
            if (t.groups() != null && t.groups().size() > config.maxGroups()) {
                v.add(new Violation(
                        "targets.groups",
                        "names " + t.groups().size() + " groups; at most " + config.maxGroups()
                                + " (dispatch.intake.max-groups)"));
            } else {
                nameLengths("targets.groups", t.groups(), v);
            }
            labelLimits("targets.labels", t.labels(), v);
        }
    }

    private void nameLengths(String field, List<String> names, List<Violation> v) {
        if (names != null) {
            for (int i = 0; i < names.size(); i++) {
                if (names.get(i) != null && names.get(i).length() > config.maxNameLength()) {
                    v.add(new Violation(
                            field + "[" + i + "]",
                            "is longer than " + config.maxNameLength()
                                    + " characters (dispatch.intake.max-name-length)"));
                }
            }
        }
    }

    private void labelLimits(String field, Map<String, String> labels, List<Violation> v) {
        if (labels == null) {
            return;
        }
        if (labels.size() > config.maxLabels()) {
            v.add(new Violation(
                    field,
                    "has " + labels.size() + " labels; at most " + config.maxLabels()
                            + " (dispatch.intake.max-labels)"));
            return;
        }
        labels.forEach((key, value) -> {
            if (key.length() > config.maxNameLength() || (value != null && value.length() > config.maxNameLength())) {
                v.add(new Violation(
                        field + "." + Text.printable(key, 64),
                        "key and value must be at most " + config.maxNameLength()
                                + " characters (dispatch.intake.max-name-length)"));
            }
        });
    }

    private static long utf8Length(String s) {
        long n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                n++;
            } else if (c < 0x800) {
                n += 2;
            } else if (Character.isHighSurrogate(c)
                    && i + 1 < s.length()
                    && Character.isLowSurrogate(s.charAt(i + 1))) {
                n += 4;
                i++;
            } else {
                n += 3;
            }
        }
        return n;
    }

    private static void storableText(JobRequest r, List<Violation> v) {
        text("kind", r.kind(), true, v);
        text("command", r.command(), false, v);
        text("input", r.input(), false, v);
        text("timeout", r.timeout(), true, v);
        text("idempotencyKey", r.idempotencyKey(), true, v);
        if (r.env() != null) {
            r.env().forEach((name, value) -> {
                text("env", name, true, v);
                text("env." + Text.printable(name, 64), value, false, v);
            });
        }
        textMap("labels", r.labels(), v);
        if (r.targets() != null) {
            textList("targets.hosts", r.targets().hosts(), v);
            textList("targets.groups", r.targets().groups(), v);
            textMap("targets.labels", r.targets().labels(), v);
        }
        if (r.file() != null) {
            text("file.path", r.file().path(), true, v);
            text("file.content", r.file().content(), true, v);
            text("file.artifact", r.file().artifact(), true, v);
            text("file.mode", r.file().mode(), true, v);
        }
    }

    private static void textList(String field, List<String> values, List<Violation> v) {
        if (values != null) {
            for (int i = 0; i < values.size(); i++) {
                text(field + "[" + i + "]", values.get(i), true, v);
            }
        }
    }

    private static void textMap(String field, Map<String, String> values, List<Violation> v) {
        if (values != null) {
            values.forEach((key, value) -> {
                text(field, key, true, v);
                text(field + "." + Text.printable(key, 64), value, true, v);
            });
        }
    }

    private static void text(String field, String value, boolean name, List<Violation> v) {
        String problem = Text.unstorable(value, name);
        if (problem != null) {
            v.add(new Violation(field, problem));
        }
    }

    private JobKind validateShape(JobRequest r, List<Violation> v) {
        JobKind kind = null;
        if (r.kind() == null || r.kind().isBlank()) {
            v.add(new Violation("kind", "is required (one of exec, ping, copy, update, fetch, delete)"));
        } else {
            kind = JobKind.fromWire(r.kind());
            if (kind == null) {
                v.add(new Violation(
                        "kind", "unknown kind '" + r.kind() + "' (one of exec, ping, copy, update, fetch, delete)"));
            }
        }
        if (kind == JobKind.EXEC && (r.command() == null || r.command().isBlank())) {
            v.add(new Violation("command", "is required for kind exec"));
        }
        if (kind == JobKind.PING && (r.command() != null || r.input() != null)) {
            v.add(new Violation("command", "ping runs nothing; command and input must be absent"));
        }
        if (r.file() != null && (kind == JobKind.EXEC || kind == JobKind.PING)) {
            v.add(new Violation("file", "is not used by kind " + r.kind()));
        }
        if (r.input() != null && utf8Length(r.input()) > config.maxInputBytes()) {
            v.add(new Violation(
                    "input", "exceeds " + config.maxInputBytes() + " bytes (dispatch.intake.max-input-bytes)"));
        }
        if (r.env() != null) {
            r.env().forEach((name, value) -> {
                if (!ENV_NAME.matcher(name).matches()) {
                    v.add(new Violation("env." + name, "is not a valid environment variable name"));
                } else if (value == null) {
                    v.add(new Violation("env." + name, "must not be null"));
                }
            });
        }
        if (r.timeout() != null) {
            try {
                Duration timeout = Duration.parse(r.timeout());
                if (timeout.isNegative() || timeout.isZero()) {
                    v.add(new Violation("timeout", "must be positive"));
                } else if (timeout.compareTo(config.maxTimeout()) > 0) {
                    v.add(new Violation("timeout", "must not exceed " + config.maxTimeout()));
                }
            } catch (DateTimeParseException e) {
                v.add(new Violation("timeout", "'" + r.timeout() + "' is not an ISO-8601 duration such as PT5M"));
            }
        }
        if (r.parallelism() != null && r.parallelism() < 1) {
            v.add(new Violation("parallelism", "must be at least 1"));
        } else if (r.parallelism() != null && r.parallelism() > config.maxParallelism()) {
            v.add(new Violation("parallelism", "must not exceed " + config.maxParallelism()));
        }
        if (r.batchSize() != null && r.batchSize() < 1) {
            v.add(new Violation("batchSize", "must be at least 1"));
        }
        if (r.maxFailures() != null && r.maxFailures() < 1) {
            v.add(new Violation("maxFailures", "must be at least 1"));
        }
        if (r.retries() != null && (r.retries() < 0 || r.retries() > MAX_RETRIES)) {
            v.add(new Violation("retries", "must be between 0 and " + MAX_RETRIES));
        }
        if (r.idempotencyKey() != null
                && (r.idempotencyKey().isBlank() || r.idempotencyKey().length() > 200)) {
            v.add(new Violation("idempotencyKey", "must be 1-200 characters"));
        }
        return kind;
    }

    /**
     * The rules of the file kinds: an absolute {@code file.path}; for copy and update exactly one of inline
     * {@code content} (base64, capped) or an {@code artifact} the tenant has now; an octal {@code mode}; and nothing
     * that belongs to exec.
     */
    private void validateFile(String tenantId, JobKind kind, JobRequest r, List<Violation> v) {
        if (kind == null || !kind.isFile()) {
            return;
        }
        String name = kind.wireName();
        if (r.command() != null) {
            v.add(new Violation("command", "is not used by kind " + name));
        }
        if (r.input() != null) {
            v.add(new Violation("input", "is not used by kind " + name));
        }
        if (r.env() != null) {
            v.add(new Violation("env", "is not used by kind " + name));
        }
        JobRequest.FileSpec f = r.file();
        if (f == null) {
            v.add(new Violation("file", "is required for kind " + name));
            return;
        }
        if (f.path() == null || f.path().isBlank()) {
            v.add(new Violation("file.path", "is required for kind " + name));
        } else if (!f.path().startsWith("/")) {
            v.add(new Violation("file.path", "must be an absolute path (starting with /)"));
        } else if (f.path().endsWith("/") || f.path().indexOf('\0') >= 0) {
            v.add(new Violation("file.path", "must name a file (not end with /, no NUL)"));
        }
        boolean writes = kind == JobKind.COPY || kind == JobKind.UPDATE;
        if (writes) {
            if (f.content() == null && f.artifact() == null) {
                v.add(new Violation("file", "kind " + name + " needs file.content (base64) or file.artifact (sha256)"));
            } else if (f.content() != null && f.artifact() != null) {
                v.add(new Violation("file", "give either file.content or file.artifact, not both"));
            }
            if (f.content() != null) {
                try {
                    byte[] decoded = Base64.getDecoder().decode(f.content());
                    if (decoded.length > config.maxInlineContentBytes()) {
                        v.add(new Violation(
                                "file.content",
                                "is " + decoded.length + " bytes; inline content is "
                                        + "capped at " + config.maxInlineContentBytes()
                                        + " bytes (upload larger files with "
                                        + "POST /api/v1/artifacts and name them in file.artifact)"));
                    }
                } catch (IllegalArgumentException e) {
                    v.add(new Violation("file.content", "is not valid base64"));
                }
            }
            if (f.artifact() != null) {
                if (!ArtifactService.isSha256(f.artifact())) {
                    v.add(new Violation("file.artifact", "must be a SHA-256 (64 hex digits)"));
                } else if (artifacts.find(tenantId, f.artifact()).isEmpty()) {
                    v.add(new Violation(
                            "file.artifact",
                            "no artifact " + f.artifact() + " (upload it first with " + "POST /api/v1/artifacts)"));
                }
            }
            if (f.mode() != null && !MODE.matcher(f.mode()).matches()) {
                v.add(new Violation("file.mode", "must be octal permission bits such as 0644"));
            }
        } else {
            if (f.content() != null) {
                v.add(new Violation("file.content", "is not used by kind " + name));
            }
            if (f.artifact() != null) {
                v.add(new Violation("file.artifact", "is not used by kind " + name));
            }
            if (f.mode() != null) {
                v.add(new Violation("file.mode", "is not used by kind " + name));
            }
            if (kind == JobKind.FETCH && Boolean.TRUE.equals(f.backup())) {
                v.add(new Violation("file.backup", "is not used by kind fetch"));
            }
        }
    }

    private List<String> resolveTargets(String tenantId, JobRequest.Targets t, List<Violation> v) {
        if (t == null
                || (isEmpty(t.hosts())
                        && isEmpty(t.groups())
                        && (t.labels() == null || t.labels().isEmpty()))) {
            v.add(new Violation("targets", "name at least one host, group or label"));
            return List.of();
        }
        Set<String> resolved = new LinkedHashSet<>();
        if (!isEmpty(t.hosts())) {
            Set<String> known = new LinkedHashSet<>();
            for (Host h : hosts.findByNames(tenantId, t.hosts())) {
                known.add(h.name);
            }
            for (int i = 0; i < t.hosts().size(); i++) {
                String name = t.hosts().get(i);
                if (name == null || !known.contains(name)) {
                    v.add(new Violation("targets.hosts[" + i + "]", "no host named '" + name + "'"));
                } else {
                    resolved.add(name);
                }
            }
        }
        if (!isEmpty(t.groups())) {
            // One definition of membership: explicit members, selector matches, hosts naming the group.
            Map<String, List<String>> byGroup = inventory.resolveGroups(tenantId, t.groups());
            for (int i = 0; i < t.groups().size(); i++) {
                String group = t.groups().get(i);
                List<String> members = group == null ? List.of() : byGroup.getOrDefault(group, List.of());
                if (members.isEmpty()) {
                    v.add(new Violation("targets.groups[" + i + "]", "group '" + group + "' has no hosts"));
                }
                resolved.addAll(members);
            }
        }
        if (t.labels() != null && !t.labels().isEmpty()) {
            List<String> matching = hosts.listForTenant(tenantId).stream()
                    .filter(h -> h.labels != null
                            && h.labels.entrySet().containsAll(t.labels().entrySet()))
                    .map(h -> h.name)
                    .toList();
            if (matching.isEmpty()) {
                v.add(new Violation("targets.labels", "no host matches " + t.labels()));
            }
            resolved.addAll(matching);
        }
        if (resolved.size() > config.maxHosts()) {
            v.add(new Violation("targets", "resolve to " + resolved.size() + " hosts; at most " + config.maxHosts()));
        }
        return new ArrayList<>(resolved);
    }

    private static JobRequest withKey(JobRequest request, String headerKey) {
        if (headerKey == null || headerKey.isBlank()) {
            return request;
        }
        if (request.idempotencyKey() != null && !request.idempotencyKey().equals(headerKey)) {
            throw InvalidRequestException.of("idempotencyKey", "differs from the Idempotency-Key header");
        }
        return request.withIdempotencyKey(headerKey);
    }

    private static boolean isIdempotencyConflict(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof ConstraintViolationException cve
                    && cve.getConstraintName() != null
                    && cve.getConstraintName().contains(IDEMPOTENCY_CONSTRAINT)) {
                return true;
            }
        }
        return false;
    }

    private static boolean isEmpty(List<?> list) {
        return list == null || list.isEmpty();
    }
}
