package dev.dispatch.intake;

/** An intake message that cannot become a job; {@code type} is the problem slug used in dead-letter headers. */
class IntakeRejectedException extends RuntimeException {
    private final String type;

    IntakeRejectedException(String type, String detail) {
        super(detail);
        this.type = type;
    }

    String type() {
        return type;
    }
}
