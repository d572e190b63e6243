package dev.dispatch.chaos;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * One line of the campaign's table: named facts, each with the exact value promised and the value seen; the row
 * passes only when every fact matches. {@code notes} are details printed under the table (who was killed, rates).
 */
final class Row {
    /** One promised fact, e.g. "host results": 600 expected, 522 observed. */
    record Fact(String what, String expected, String observed) {
        boolean holds() {
            return expected.equals(observed);
        }
    }

    final String scenario;
    final List<Fact> facts = new ArrayList<>();
    final List<String> notes = new ArrayList<>();
    String lost = "0";
    String duplicated = "0";
    String recovery = "–";
    String error;

    Row(String scenario) {
        this.scenario = scenario;
    }

    /** Adds a fact; values are compared as text, so give both sides in the same words. */
    Row fact(String what, Object expected, Object observed) {
        facts.add(new Fact(what, String.valueOf(expected), String.valueOf(observed)));
        return this;
    }

    Row note(String format, Object... args) {
        notes.add(String.format(format, args));
        return this;
    }

    boolean passed() {
        return error == null && !facts.isEmpty() && facts.stream().allMatch(Fact::holds);
    }

    String markdown() {
        String expected = facts.stream().map(f -> f.expected() + " " + f.what()).collect(Collectors.joining(", "));
        String observed = error != null
                ? "error: " + error
                : facts.stream()
                        .map(f -> (f.holds() ? "" : "**") + f.observed() + " " + f.what() + (f.holds() ? "" : "**"))
                        .collect(Collectors.joining(", "));
        return "| "
                + String.join(
                        " | ",
                        cell(scenario),
                        cell(expected),
                        cell(observed),
                        cell(lost),
                        cell(duplicated),
                        cell(recovery),
                        passed() ? "pass" : "**FAIL**")
                + " |";
    }

    private static String cell(String text) {
        return text.replace("|", "\\|").replaceAll("\\R", " ");
    }
}
