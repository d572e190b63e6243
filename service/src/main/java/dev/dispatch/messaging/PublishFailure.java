package dev.dispatch.messaging;

import java.util.Set;
import org.apache.kafka.common.InvalidRecordException;
import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.RecordBatchTooLargeException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.errors.UnknownServerException;

/**
 * Tells a record the broker refuses for good (retrying it can never succeed) from a failure worth retrying.
 *
 * <p>A refusal is a failure caused by the record itself: too large, invalid, not serialisable, or any other
 * non-retriable Kafka {@link ApiException}. Everything else is retried: {@link RetriableException}s (broker down,
 * timeouts, leader moves), and failures that concern every record alike (producer or channel closing at shutdown,
 * authentication or authorisation errors, unknown broker errors), which must not park a whole backlog.
 */
final class PublishFailure {
    private static final Set<Class<? extends Throwable>> REFUSALS = Set.of(
            RecordTooLargeException.class,
            RecordBatchTooLargeException.class,
            InvalidRecordException.class,
            SerializationException.class);
    private static final Set<Class<? extends Throwable>> NOT_THE_RECORD =
            Set.of(AuthenticationException.class, AuthorizationException.class, UnknownServerException.class);
    private static final int MAX_DESCRIPTION_CHARS = 1_000;
    private static final int MAX_CAUSES = 16;

    private PublishFailure() {}

    /** True if {@code failure} (or one of its causes) says the broker will never take this record. */
    static boolean isRefusal(Throwable failure) {
        int depth = 0;
        for (Throwable t = failure; t != null && depth < MAX_CAUSES; t = t.getCause(), depth++) {
            if (t instanceof RetriableException || isA(t, NOT_THE_RECORD)) {
                return false;
            }
            if (isA(t, REFUSALS) || t instanceof ApiException) {
                return true;
            }
        }
        return false;
    }

    /** The innermost Kafka cause's class and message, shortened; Kafka's messages carry sizes, never payloads. */
    static String describe(Throwable failure) {
        Throwable reason = failure;
        int depth = 0;
        for (Throwable t = failure; t != null && depth < MAX_CAUSES; t = t.getCause(), depth++) {
            if (t instanceof ApiException || isA(t, REFUSALS)) {
                reason = t;
            }
        }
        String text = reason.getClass().getSimpleName() + ": " + reason.getMessage();
        return text.length() <= MAX_DESCRIPTION_CHARS ? text : text.substring(0, MAX_DESCRIPTION_CHARS) + "...";
    }

    private static boolean isA(Throwable t, Set<Class<? extends Throwable>> types) {
        return types.stream().anyMatch(type -> type.isInstance(t));
    }
}
