package dev.dispatch.intake;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dispatch.DatabaseFailures;
import dev.dispatch.InvalidRequestException;
import dev.dispatch.job.JobRequest;
import dev.dispatch.messaging.DeadLetterPublisher;
import dev.dispatch.messaging.JobEvent;
import dev.dispatch.tenancy.Caller;
import dev.dispatch.tenancy.CallerResolver;
import dev.dispatch.tenancy.MissingTenantException;
import dev.dispatch.tenancy.Roles;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.smallrye.jwt.auth.principal.JWTAuthContextInfo;
import io.smallrye.jwt.auth.principal.JWTParser;
import io.smallrye.jwt.auth.principal.ParseException;
import io.smallrye.reactive.messaging.kafka.KafkaClientService;
import io.smallrye.reactive.messaging.kafka.KafkaConsumer;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Event;
import jakarta.enterprise.event.Observes;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.common.header.Header;
import org.eclipse.microprofile.jwt.JsonWebToken;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.jboss.logging.Logger;

/**
 * Kafka intake on {@code dispatch.job-requests.v1} (channel {@code job-submissions}): the same request, validation
 * and roles as REST, authenticated by the bearer token in the {@code authorization} header.
 *
 * <p>Records arrive in batches (one poll) and are handled side by side, at most {@code dispatch.intake.kafka-concurrency}
 * at once, in groups of {@code dispatch.intake.kafka-group-size} stored in one transaction each; the batch, and with it the offsets, is acknowledged once every record in it is durable: stored as a job,
 * or dead-lettered and acknowledged by the broker. A request that can never be stored (invalid, unauthenticated,
 * refused by the database as data, or failing for an unknown reason {@value #UNKNOWN_FAILURE_ATTEMPTS} times) is
 * dead-lettered with its reason. A failure of the database or the broker itself is never a reason: the consumer
 * pauses its partitions, retries that record off the consumer's thread with backoff, and resumes when nothing waits
 * any more. Nothing sleeps in the handler and no record is held by the connector's commit strategy while it waits.
 * Redelivery never creates a second job: a message without {@code idempotencyKey} is keyed by a hash of its submitter,
 * key and value ({@link #dedupeKey}). Dead letters count in {@code dispatch_intake_dead_letters_total{type}}; {@code dispatch_intake_paused}
 * is 1 while intake waits for the database or the broker.
 */
@ApplicationScoped
public class JobSubmissionConsumer {
    static final String CHANNEL = "job-submissions";
    static final int UNKNOWN_FAILURE_ATTEMPTS = 5;
    private static final Logger LOG = Logger.getLogger(JobSubmissionConsumer.class);
    private static final Set<String> SUBMITTERS = Set.of(Roles.OPERATOR, Roles.ADMIN);
    private static final int MAX_DETAIL_CHARS = 2000;
    private static final long FIRST_BACKOFF_MS = 200;
    private static final long MAX_BACKOFF_MS = 10_000;

    private final JobIntakeService intake;
    private final JWTParser jwt;
    private final CallerResolver callers;
    private final ObjectMapper json;
    private final DeadLetterPublisher deadLetters;
    private final Event<JobEvent> events;
    private final MeterRegistry metrics;
    private final KafkaClientService kafka;
    private final Semaphore slots;
    private final int groupSize;
    private final JWTAuthContextInfo withGrace;
    private final Duration tokenGrace;
    private final AtomicInteger waiting = new AtomicInteger();
    private final Map<String, Counter> deadLettered = new ConcurrentHashMap<>();
    private final ExecutorService work = Executors.newThreadPerTaskExecutor(
            Thread.ofVirtual().name("intake-", 0).factory());
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("intake-retry").daemon().factory());

    public JobSubmissionConsumer(
            JobIntakeService intake,
            JWTParser jwt,
            CallerResolver callers,
            ObjectMapper json,
            DeadLetterPublisher deadLetters,
            Event<JobEvent> events,
            MeterRegistry metrics,
            KafkaClientService kafka,
            IntakeConfig config,
            JWTAuthContextInfo jwtConfig) {
        this.intake = intake;
        this.jwt = jwt;
        this.callers = callers;
        this.json = json;
        this.deadLetters = deadLetters;
        this.events = events;
        this.metrics = metrics;
        this.kafka = kafka;
        this.slots = new Semaphore(config.kafkaConcurrency());
        this.groupSize = config.kafkaGroupSize();
        this.tokenGrace = config.kafkaTokenGrace();
        this.withGrace = new JWTAuthContextInfo(jwtConfig);
        this.withGrace.setExpGracePeriodSecs(
                (int) Math.min(Integer.MAX_VALUE, jwtConfig.getExpGracePeriodSecs() + tokenGrace.toSeconds()));
        Gauge.builder("dispatch.intake.paused", waiting, w -> w.get() > 0 ? 1 : 0)
                .description("1 while Kafka intake is paused, waiting for the database or the broker")
                .register(metrics);
    }

    void stop(@Observes ShutdownEvent event) {
        timer.shutdownNow();
        work.shutdownNow();
    }

    @Incoming(CHANNEL)
    CompletionStage<Void> consume(ConsumerRecords<String, byte[]> batch) {
        List<CompletableFuture<Void>> done = new ArrayList<>(batch.count());
        List<Submission> group = new ArrayList<>(groupSize);
        for (ConsumerRecord<String, byte[]> record : batch) {
            Submission submission = new Submission(record);
            done.add(submission.done);
            group.add(submission);
            if (group.size() == groupSize) {
                List<Submission> full = group;
                work.execute(() -> attemptGroup(full));
                group = new ArrayList<>(groupSize);
            }
        }
        if (!group.isEmpty()) {
            List<Submission> rest = group;
            work.execute(() -> attemptGroup(rest));
        }
        return CompletableFuture.allOf(done.toArray(CompletableFuture[]::new));
    }

    /**
     * Authenticates and parses a group of records, then stores the good ones in one transaction. Rejections, and
     * every record of a group the database failed as a whole, continue one by one ({@link #attempt}).
     */
    private void attemptGroup(List<Submission> group) {
        List<Submission> ready = new ArrayList<>(group.size());
        for (Submission s : group) {
            prepare(s);
            if (s.request == null) {
                work.execute(() -> attempt(s));
            } else {
                ready.add(s);
            }
        }
        if (ready.size() < 2) {
            ready.forEach(s -> work.execute(() -> attempt(s)));
            return;
        }
        List<InvalidRequestException> refused;
        if (!acquireSlot()) {
            return;
        }
        try {
            refused = intake.submitGroup(
                    ready.stream().map(s -> s.caller).toList(),
                    ready.stream().map(s -> s.request).toList());
        } catch (RuntimeException e) {
            LOG.debugf(
                    "a group of %d intake messages failed as a whole (%s); storing them one by one",
                    ready.size(), DatabaseFailures.describe(e));
            ready.forEach(s -> work.execute(() -> attempt(s)));
            return;
        } finally {
            slots.release();
        }
        for (int i = 0; i < ready.size(); i++) {
            Submission s = ready.get(i);
            if (refused.get(i) == null) {
                succeeded(s);
            } else {
                s.reject("validation", refused.get(i).getMessage());
                work.execute(() -> attempt(s));
            }
        }
    }

    /**
     * Authenticates and parses the record into its caller and request (keyed by {@link #dedupeKey} when it names no
     * idempotency key); throws {@link IntakeRejectedException} when it is not a request this caller may submit.
     */
    private void readRequest(Submission s) {
        s.caller = authenticate(s.record, s.origin);
        JobRequest request = parse(s.record.value());
        s.request =
                request.idempotencyKey() == null ? request.withIdempotencyKey(dedupeKey(s.caller, s.record)) : request;
    }

    /** {@link #readRequest}, keeping the rejection instead of throwing it; any other failure leaves no request. */
    private void prepare(Submission s) {
        try {
            readRequest(s);
        } catch (IntakeRejectedException e) {
            s.reject(e.type(), e.getMessage());
        } catch (RuntimeException e) {
            LOG.debugf(e, "preparing %s failed", s.origin);
            s.request = null;
        }
    }

    /** One record on its way to the job table or the dead-letter topic; retried from the step that failed. */
    private static final class Submission {
        final ConsumerRecord<String, byte[]> record;
        final String origin;
        final CompletableFuture<Void> done = new CompletableFuture<>();
        Caller caller;
        JobRequest request;
        String rejectionType;
        String rejectionDetail;
        boolean rejectionRecorded;
        int failures;
        int retries;
        boolean waiting;

        Submission(ConsumerRecord<String, byte[]> record) {
            this.record = record;
            this.origin = record.topic() + "/" + record.partition() + "@" + record.offset();
        }

        void reject(String type, String detail) {
            rejectionType = type;
            rejectionDetail = Text.printable(detail, MAX_DETAIL_CHARS);
        }
    }

    /** Waits for one of the {@code kafka-concurrency} slots; false when interrupted (shutting down). */
    private boolean acquireSlot() {
        try {
            slots.acquire();
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private void attempt(Submission s) {
        if (!acquireSlot()) {
            return;
        }
        try {
            if (s.rejectionType == null) {
                decide(s);
                if (s.rejectionType == null) {
                    succeeded(s);
                    return;
                }
            }
            if (!s.rejectionRecorded) {
                recordRejection(s);
                s.rejectionRecorded = true;
            }
        } catch (RuntimeException e) {
            failed(s, e);
            return;
        } finally {
            slots.release();
        }
        deadLetters
                .publish(s.record.key(), s.record.value(), s.rejectionType, s.rejectionDetail, s.origin)
                .whenComplete((ok, e) -> {
                    if (e == null) {
                        deadLettered
                                .computeIfAbsent(
                                        s.rejectionType,
                                        type -> Counter.builder("dispatch.intake.dead.letters")
                                                .description("Intake messages dead-lettered")
                                                .tag("type", type)
                                                .register(metrics))
                                .increment();
                        succeeded(s);
                    } else {
                        retryLater(s, "dead-lettering", e);
                    }
                });
    }

    /** Stores the job, or marks the submission rejected; throws what is worth another try. */
    private void decide(Submission s) {
        try {
            if (s.request == null) {
                readRequest(s);
            }
            intake.submit(s.caller, s.request, null);
        } catch (IntakeRejectedException e) {
            s.reject(e.type(), e.getMessage());
        } catch (InvalidRequestException e) {
            s.reject("validation", e.getMessage());
        } catch (RuntimeException e) {
            String state = DatabaseFailures.dataErrorState(e);
            if (state == null || DatabaseFailures.isTransient(e)) {
                throw e;
            }
            s.reject("unprocessable", "the database refused the request as data (SQLState " + state + ")");
        }
    }

    private void failed(Submission s, RuntimeException e) {
        if (DatabaseFailures.isTransient(e) || ++s.failures < UNKNOWN_FAILURE_ATTEMPTS) {
            retryLater(s, "storing", e);
        } else if (s.rejectionType == null) {
            LOG.errorf(
                    "intake message %s failed %d times (%s); dead-lettering it",
                    s.origin, s.failures, DatabaseFailures.describe(e));
            s.reject("internal", "the request failed " + s.failures + " times: " + DatabaseFailures.describe(e));
            work.execute(() -> attempt(s));
        } else {
            // Only the rejected event could not be written (it is informational); the dead letter still goes out.
            LOG.warnf("the rejected event of %s could not be recorded (%s)", s.origin, DatabaseFailures.describe(e));
            s.rejectionRecorded = true;
            work.execute(() -> attempt(s));
        }
    }

    private void retryLater(Submission s, String what, Throwable e) {
        LOG.debugf(e, "%s %s failed; will retry", what, s.origin);
        if (!s.waiting) {
            s.waiting = true;
            if (waiting.incrementAndGet() == 1) {
                LOG.warnf(
                        "Kafka intake paused: %s %s failed (%s); retrying until it succeeds",
                        what, s.origin, DatabaseFailures.describe(e));
                consumer().pause().subscribe().with(paused -> {}, f -> LOG.debugf("pause failed: %s", f));
            }
        }
        long backoff = Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS << Math.min(s.retries++, 10));
        try {
            timer.schedule(() -> work.execute(() -> attempt(s)), backoff, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException shuttingDown) {
            s.done.completeExceptionally(e);
        }
    }

    private void succeeded(Submission s) {
        if (s.waiting) {
            s.waiting = false;
            if (waiting.decrementAndGet() == 0) {
                LOG.infof("Kafka intake resumed (%s went through)", s.origin);
                consumer().resume().subscribe().with(ok -> {}, f -> LOG.debugf("resume failed: %s", f));
            }
        }
        s.done.complete(null);
    }

    private KafkaConsumer<Object, Object> consumer() {
        return kafka.getConsumer(CHANNEL);
    }

    private void recordRejection(Submission s) {
        LOG.debugf("intake message %s rejected (%s): %s", s.origin, s.rejectionType, s.rejectionDetail);
        String key = readableIdempotencyKey(s.record.value());
        if (key != null) {
            events.fire(new JobEvent(
                    "rejected",
                    null,
                    s.caller == null ? null : s.caller.tenantId(),
                    key,
                    null,
                    null,
                    s.rejectionType + ": " + s.rejectionDetail));
        }
    }

    /**
     * The idempotency key of a message that names none: {@code kafka:} and the SHA-256 of the submitter, the record key
     * and the value, each length-prefixed. The same message delivered twice, re-posted at a new offset (a replay of a
     * captured message) or copied to a recreated topic is one job; a request meant to run again needs an
     * {@code idempotencyKey} of its own (or any other difference in the value).
     */
    static String dedupeKey(Caller caller, ConsumerRecord<String, byte[]> record) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            for (byte[] part : new byte[][] {
                caller.subject().getBytes(StandardCharsets.UTF_8),
                record.key() == null ? new byte[0] : record.key().getBytes(StandardCharsets.UTF_8),
                record.value()
            }) {
                sha.update(ByteBuffer.allocate(4).putInt(part.length).array());
                sha.update(part);
            }
            return "kafka:" + HexFormat.of().formatHex(sha.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Verifies the bearer token (signature, issuer, audience) as REST does, except for its expiry: a message waits in
     * the topic, so a token that was valid when the message was produced (its record timestamp) is accepted up to
     * {@code dispatch.intake.kafka-token-grace} after it expired. One that had expired before the message was
     * produced is {@code unauthorized}; one past the grace is {@code token-expired}, with what to do.
     */
    /** Whether the token's only fault may be its age: its unverified {@code exp} is older than the grace. */
    private boolean expiredBeyondGrace(String token) {
        try {
            long exp = jwt.parseOnly(token).getExpirationTime();
            return exp > 0 && exp * 1000 + tokenGrace.toMillis() < System.currentTimeMillis();
        } catch (ParseException | RuntimeException e) {
            return false;
        }
    }

    private Caller authenticate(ConsumerRecord<String, byte[]> record, String origin) {
        Header header = record.headers().lastHeader("authorization");
        if (header == null || header.value() == null) {
            throw new IntakeRejectedException("unauthorized", "no authorization header");
        }
        String value = new String(header.value(), StandardCharsets.UTF_8).strip();
        String token = value.regionMatches(true, 0, "Bearer ", 0, 7)
                ? value.substring(7).strip()
                : value;
        JsonWebToken verified;
        try {
            verified = jwt.parse(token, withGrace);
        } catch (ParseException e) {
            if (expiredBeyondGrace(token)) {
                throw new IntakeRejectedException(
                        "token-expired",
                        "the bearer token expired more than " + tokenGrace
                                + " before the message was consumed; send it again with a fresh token");
            }
            throw new IntakeRejectedException("unauthorized", "the bearer token is not valid");
        }
        long expiresMillis = verified.getExpirationTime() * 1000;
        if (expiresMillis < record.timestamp()) {
            throw new IntakeRejectedException(
                    "unauthorized", "the bearer token had expired when the message was " + "produced");
        }
        Caller caller;
        try {
            caller = callers.resolve(verified, "kafka:" + origin);
        } catch (MissingTenantException e) {
            throw new IntakeRejectedException("no-tenant", e.getMessage());
        }
        if (caller.roles().stream().noneMatch(SUBMITTERS::contains)) {
            throw new IntakeRejectedException("forbidden", "submitting jobs needs role " + Roles.OPERATOR);
        }
        return caller;
    }

    private JobRequest parse(byte[] value) {
        if (value == null || value.length == 0) {
            throw new IntakeRejectedException("malformed-body", "the message has no value");
        }
        try {
            JsonNode tree = json.readTree(value);
            if (tree == null || !tree.isObject()) {
                throw new IntakeRejectedException("malformed-body", "the value must be a JSON object");
            }
            return json.treeToValue(tree, JobRequest.class);
        } catch (JsonProcessingException e) {
            String reason = e.getOriginalMessage() == null ? "unreadable JSON" : e.getOriginalMessage();
            int cut = reason.indexOf(" (class ");
            throw new IntakeRejectedException(
                    "malformed-body",
                    "the value is not a valid job request: " + (cut > 0 ? reason.substring(0, cut) : reason));
        } catch (IOException e) {
            throw new IntakeRejectedException("malformed-body", "the value cannot be read");
        }
    }

    /** The request's idempotency key, if it is one that can be stored in an event. */
    private String readableIdempotencyKey(byte[] value) {
        try {
            JsonNode node = value == null ? null : json.readTree(value);
            JsonNode key = node == null || !node.isObject() ? null : node.get("idempotencyKey");
            return key != null
                            && key.isTextual()
                            && Text.unstorable(key.asText(), true) == null
                            && key.asText().length() <= 200
                    ? key.asText()
                    : null;
        } catch (IOException e) {
            return null;
        }
    }
}
