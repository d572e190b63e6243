package dev.dispatch.ssh;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;

/**
 * Wraps a remote command so that it runs as the leader of its own process group and reports that group's id
 * before it starts, which lets a cancel kill the whole remote process tree with {@code kill -s SIG -- -PGID} over
 * a second channel. OpenSSH refuses the SSH "signal" request for root logins without a PTY, so signals over the
 * command's own channel cannot be relied on.
 *
 * <p>The wrapper is POSIX sh, run by the login shell: {@code set -- '<command>'} keeps the command out of the
 * environment; if the shell already leads a process group ({@code kill -s 0 -- -$$} succeeds; OpenSSH's sshd
 * makes every session its own session and group) or {@code setsid} exists to make it one (exec'd, so the pid is
 * kept), it writes {@code \036dispatch-pgid:<pid>\n} to stderr; then it execs {@code "$SHELL" -c "$1"}, so stdin,
 * output, environment, exit status and exit signal are those of the command as if run directly. Without either,
 * no marker is written and only the SSH signal request and a channel close remain. A command that moves itself to
 * another process group or session ({@code setsid}, {@code set -m}, daemons) escapes the kill.
 */
final class ProcessGroupWrapper {
    private static final String MARKER = "\036dispatch-pgid:";
    private static final byte[] MARKER_BYTES = MARKER.getBytes(StandardCharsets.US_ASCII);
    /** Marker, up to 19 digits, newline. */
    private static final int MAX_MARKER = MARKER_BYTES.length + 20;

    private static final String REPORT = "printf '\\036dispatch-pgid:%s\\n' \"$$\" >&2";

    private ProcessGroupWrapper() {}

    /** The exec request text that runs {@code command} in its own process group and reports the group first. */
    static String wrap(String command) {
        return "set -- " + quote(command) + "; if kill -s 0 -- -$$ 2>/dev/null; then " + REPORT
                + "; elif command -v setsid >/dev/null 2>&1; then " + REPORT
                + "; exec setsid \"${SHELL:-/bin/sh}\" -c \"$1\"; fi; exec \"${SHELL:-/bin/sh}\" -c \"$1\"";
    }

    /** A command for a second channel that sends {@code signal} (e.g. "TERM") to every process of the group. */
    static String killCommand(String signal, long pgid) {
        return "kill -s " + signal + " -- -" + pgid + " 2>/dev/null";
    }

    /** {@code 'text'} for a POSIX shell, with each {@code '} written as {@code '\''}. */
    static String quote(String text) {
        return "'" + text.replace("'", "'\\''") + "'";
    }

    /**
     * Takes the marker off the start of stderr and hands on everything else unchanged, however the marker is split
     * across reads. Stderr that does not start with the marker is passed on whole. Used by one thread.
     */
    static final class StderrFilter {
        private final CompletableFuture<Long> pgid;
        private final ByteArrayOutputStream head = new ByteArrayOutputStream();
        private boolean done;

        /** Completes {@code pgid} with the group id, or with null once it is clear that no marker comes. */
        StderrFilter(CompletableFuture<Long> pgid) {
            this.pgid = pgid;
        }

        /** True while the start of stderr is still examined; after that, reads need not go through here. */
        boolean active() {
            return !done;
        }

        /** The bytes of {@code buf[0..n)} that belong to the command's stderr. */
        byte[] feed(byte[] buf, int n) {
            if (done) {
                return Arrays.copyOf(buf, n);
            }
            for (int i = 0; i < n; i++) {
                byte b = buf[i];
                int at = head.size();
                head.write(b);
                if (at < MARKER_BYTES.length ? b != MARKER_BYTES[at] : !isMarkerTail(b, at)) {
                    return giveUp(buf, i + 1, n);
                }
                if (b == '\n') {
                    String digits =
                            head.toString(StandardCharsets.US_ASCII).substring(MARKER_BYTES.length, head.size() - 1);
                    done = true;
                    pgid.complete(Long.parseLong(digits));
                    return Arrays.copyOfRange(buf, i + 1, n);
                }
            }
            return new byte[0];
        }

        private boolean isMarkerTail(byte b, int at) {
            if (b == '\n') {
                return at > MARKER_BYTES.length;
            }
            return b >= '0' && b <= '9' && at < MAX_MARKER - 1;
        }

        /** Not a marker: everything held back so far, and the rest of this read, is the command's. */
        private byte[] giveUp(byte[] buf, int from, int n) {
            done = true;
            pgid.complete(null);
            head.write(buf, from, n - from);
            return head.toByteArray();
        }

        /** Stderr ended: whatever was held back is the command's. */
        byte[] finish() {
            if (done) {
                return new byte[0];
            }
            done = true;
            pgid.complete(null);
            return head.toByteArray();
        }
    }
}
