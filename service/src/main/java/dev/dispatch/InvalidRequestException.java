package dev.dispatch;

import java.util.List;

/** A request broke one or more rules; each violation names the field and what is wrong with it. */
public class InvalidRequestException extends RuntimeException {
    private final transient List<Violation> violations;

    /** One broken rule: the field path (e.g. {@code targets.hosts[2]}) and a human message. */
    public record Violation(String field, String message) {}

    public InvalidRequestException(List<Violation> violations) {
        super(violations.size() + " invalid field(s): "
                + String.join(
                        "; ",
                        violations.stream()
                                .map(v -> v.field() + ": " + v.message())
                                .toList()));
        this.violations = List.copyOf(violations);
    }

    /** The violations, in the order found. */
    public List<Violation> violations() {
        return violations;
    }

    /** Shorthand for a single violation. */
    public static InvalidRequestException of(String field, String message) {
        return new InvalidRequestException(List.of(new Violation(field, message)));
    }
}
