package dev.dispatch.cli;

import java.util.Collection;
import java.util.Set;

/** The command's exit codes, as bssh uses them, and the mapping from a job's host-run states. */
final class ExitCodes {
    /** Every host succeeded. */
    static final int OK = 0;
    /** Anything else that went wrong: the server unreachable, the job cancelled, an unexpected answer. */
    static final int ERROR = 1;
    /** Bad usage, or the server rejected the request as invalid. */
    static final int USAGE = 2;
    /** No host succeeded and some could not be reached (unreachable, host key rejected). */
    static final int CONNECTION = 3;
    /** Authentication failed: on the hosts, or the server refused the token. */
    static final int AUTH = 4;
    /** The command failed (non-zero exit, signal, timeout) on every host. */
    static final int ALL_FAILED = 5;
    /** Some hosts succeeded, others did not. */
    static final int PARTIAL = 10;

    private static final Set<String> CONNECTION_STATES = Set.of("UNREACHABLE", "HOST_KEY_REJECTED");
    private static final Set<String> COMMAND_STATES = Set.of("FAILED", "TIMED_OUT", "LOST");

    private ExitCodes() {}

    /**
     * The exit code for a finished job whose runs ended in {@code states}: 0 when all succeeded, 10 when some did;
     * when none did, 3 if any was a connection failure, else 4 if any failed authentication, else 5 if any command
     * failed, else 1 (only cancelled or skipped runs).
     */
    static int forRunStates(Collection<String> states) {
        long ok = states.stream().filter("SUCCEEDED"::equals).count();
        if (ok == states.size()) {
            return OK;
        }
        if (ok > 0) {
            return PARTIAL;
        }
        if (states.stream().anyMatch(CONNECTION_STATES::contains)) {
            return CONNECTION;
        }
        if (states.contains("AUTH_FAILED")) {
            return AUTH;
        }
        if (states.stream().anyMatch(COMMAND_STATES::contains)) {
            return ALL_FAILED;
        }
        return ERROR;
    }

    /** The exit code for an error answer of the server with this HTTP status. */
    static int forStatus(int status) {
        if (status == 400 || status == 413 || status == 404 || status == 409) {
            return USAGE;
        }
        if (status == 401 || status == 403) {
            return AUTH;
        }
        return ERROR;
    }
}
