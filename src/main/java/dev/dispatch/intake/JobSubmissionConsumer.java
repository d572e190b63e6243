package dev.dispatch.intake;

import dev.dispatch.messaging.DeadLetterPublisher;
import dev.dispatch.messaging.Topics;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dispatch.InvalidRequestException;
import dev.dispatch.messaging.JobEvent;
import dev.dispatch.job.JobRequest;
import dev.dispatch.tenancy.Caller;
import dev.dispatch.tenancy.CallerResolver;
import dev.dispatch.tenancy.MissingTenantException;
import dev.dispatch.tenancy.Roles;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.reactive.messaging.annotations.Blocking;
import io.smallrye.jwt.auth.principal.JWTParser;
import io.smallrye.jwt.auth.principal.ParseException;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Event;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.eclipse.microprofile.jwt.JsonWebToken;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.jboss.logging.Logger;

/**
 * Kafka intake on {@code dispatch.job-requests.v1} (channel {@code job-submissions}): the same request, validation
 * and roles as REST, authenticated by the bearer token in the {@code authorization} header. The offset is committed
 * only after the job is durable (or the message is dead-lettered); infrastructure failures are retried, never
 * dead-lettered, so a database outage stalls intake instead of losing jobs. Redelivery never creates a second job:
 * a message without {@code idempotencyKey} is keyed by its topic, partition and offset. Dead letters count in
 * {@code dispatch_intake_dead_letters_total{type}} once the broker acknowledged them; failed attempts to dead-letter
 * count in {@code dispatch_kafka_publish_failures_total{topic}}.
 */
@ApplicationScoped
public class JobSubmissionConsumer {
    private static final Logger LOG = Logger.getLogger(JobSubmissionConsumer.class);
    private static final Set<String> SUBMITTERS = Set.of(Roles.OPERATOR, Roles.ADMIN);

    private final JobIntakeService intake;
    private final JWTParser jwt;
    private final CallerResolver callers;
    private final ObjectMapper json;
    private final DeadLetterPublisher deadLetters;
    private final Event<JobEvent> events;
    private final MeterRegistry metrics;
    private final Counter deadLetterFailures;

    public JobSubmissionConsumer(JobIntakeService intake, JWTParser jwt, CallerResolver callers, ObjectMapper json,
            DeadLetterPublisher deadLetters, Event<JobEvent> events, MeterRegistry metrics) {
        this.intake = intake;
        this.jwt = jwt;
        this.callers = callers;
        this.json = json;
        this.deadLetters = deadLetters;
        this.events = events;
        this.metrics = metrics;
        this.deadLetterFailures = Counter.builder("dispatch.kafka.publish.failures")
                .description("Kafka records the broker did not acknowledge (nacked or not sent)")
                .tag("topic", Topics.JOB_REQUESTS_DLQ).register(metrics);
    }

    @Incoming("job-submissions")
    @Blocking(ordered = true)
    void consume(ConsumerRecord<String, byte[]> record) throws InterruptedException {
        String origin = record.topic() + "/" + record.partition() + "@" + record.offset();
        Caller caller = null;
        try {
            caller = authenticate(record, origin);
            JobRequest request = parse(record.value());
            if (request.idempotencyKey() == null) {
                request = request.withIdempotencyKey("kafka:" + record.topic() + "/" + record.partition() + "/"
                        + record.offset());
            }
            submitWithRetry(caller, request, origin);
        } catch (IntakeRejectedException e) {
            reject(record, caller, e.type(), e.getMessage(), origin);
        } catch (InvalidRequestException e) {
            reject(record, caller, "validation", e.getMessage(), origin);
        }
    }

    private void submitWithRetry(Caller caller, JobRequest request, String origin) throws InterruptedException {
        long backoff = 200;
        while (true) {
            try {
                intake.submit(caller, request, null);
                return;
            } catch (InvalidRequestException e) {
                throw e;
            } catch (RuntimeException e) {
                LOG.warnf("intake of %s failed (%s); retrying in %d ms", origin, e.getMessage(), backoff);
                TimeUnit.MILLISECONDS.sleep(backoff);
                backoff = Math.min(backoff * 2, 30_000);
            }
        }
    }

    private Caller authenticate(ConsumerRecord<String, byte[]> record, String origin) {
        Header header = record.headers().lastHeader("authorization");
        if (header == null || header.value() == null) {
            throw new IntakeRejectedException("unauthorized", "no authorization header");
        }
        String value = new String(header.value(), StandardCharsets.UTF_8).strip();
        String token = value.regionMatches(true, 0, "Bearer ", 0, 7) ? value.substring(7).strip() : value;
        JsonWebToken verified;
        try {
            verified = jwt.parse(token);
        } catch (ParseException e) {
            throw new IntakeRejectedException("unauthorized", "the bearer token is not valid");
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
            throw new IntakeRejectedException("malformed-body", "the value is not a valid job request: "
                    + (cut > 0 ? reason.substring(0, cut) : reason).replaceAll("[\\r\\n]+", " "));
        } catch (java.io.IOException e) {
            throw new IntakeRejectedException("malformed-body", "the value cannot be read");
        }
    }

    private void reject(ConsumerRecord<String, byte[]> record, Caller caller, String type, String detail,
            String origin) throws InterruptedException {
        LOG.infof("intake message %s rejected (%s): %s", origin, type, detail);
        long backoff = 200;
        while (true) {
            try {
                deadLetters.publish(record.key(), record.value(), type, detail, origin).get(30, TimeUnit.SECONDS);
                Counter.builder("dispatch.intake.dead.letters").description("Intake messages dead-lettered")
                        .tag("type", type).register(metrics).increment();
                break;
            } catch (InterruptedException e) {
                throw e;
            } catch (Exception e) {
                deadLetterFailures.increment();
                LOG.warnf("dead-lettering %s failed (%s); retrying in %d ms", origin, e.getMessage(), backoff);
                TimeUnit.MILLISECONDS.sleep(backoff);
                backoff = Math.min(backoff * 2, 30_000);
            }
        }
        String key = readableIdempotencyKey(record.value());
        if (key != null) {
            events.fire(new JobEvent("rejected", null, caller == null ? null : caller.tenantId(), key, null, null,
                    type + ": " + detail));
        }
    }

    private String readableIdempotencyKey(byte[] value) {
        try {
            JsonNode node = value == null ? null : json.readTree(value);
            JsonNode key = node == null ? null : node.get("idempotencyKey");
            return key != null && key.isTextual() ? key.asText() : null;
        } catch (java.io.IOException e) {
            return null;
        }
    }
}
