package dev.dispatch;

import java.sql.SQLException;
import java.sql.SQLTransientException;

/**
 * Tells a database outage (worth retrying the same write) from a failure the same write would meet again: looks
 * through the cause chain for a connection-class SQLState (08, 57P restart/shutdown, 53 resources), a
 * serialization failure or deadlock (40001, 40P01), or the pool's acquisition timeout. Used by the worker (retry a
 * write) and the Kafka intake (pause and retry instead of dead-lettering a good job).
 */
public final class DatabaseFailures {
    private DatabaseFailures() {}

    /** True if {@code failure} came from the database being unreachable, restarting or momentarily contended. */
    public static boolean isTransient(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof SQLTransientException) {
                return true;
            }
            if (t instanceof SQLException sql) {
                String state = sql.getSQLState();
                if (state != null
                        && (state.startsWith("08")
                                || state.startsWith("57P")
                                || state.startsWith("53")
                                || state.equals("40001")
                                || state.equals("40P01"))) {
                    return true;
                }
                String message = sql.getMessage() == null ? "" : sql.getMessage();
                if (message.contains("Acquisition timeout")
                        || "55000".equals(state) && message.contains("not currently accepting connections")) {
                    return true;
                }
            }
            String type = t.getClass().getSimpleName();
            if (type.equals("JDBCConnectionException")
                    || type.equals("ConnectException")
                    || type.equals("LockAcquisitionException")) {
                return true;
            }
        }
        return false;
    }

    /**
     * The SQLState of a failure the database raised about the data itself (class 22 data exception, e.g. a NUL
     * character jsonb refuses; class 23 integrity; class 54 program limit, e.g. a value too large to index), or null
     * when it is something else. Retrying the same request meets it again.
     */
    public static String dataErrorState(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof SQLException sql && sql.getSQLState() != null) {
                String state = sql.getSQLState();
                if (state.startsWith("22") || state.startsWith("23") || state.startsWith("54")) {
                    return state;
                }
            }
        }
        return null;
    }

    /** A description of {@code failure} safe to log: exception types and SQLState, never a message with values. */
    public static String describe(Throwable failure) {
        StringBuilder out = new StringBuilder();
        for (Throwable t = failure; t != null && out.length() < 300; t = t.getCause() == t ? null : t.getCause()) {
            if (!out.isEmpty()) {
                out.append(" <- ");
            }
            out.append(t.getClass().getSimpleName());
            if (t instanceof SQLException sql && sql.getSQLState() != null) {
                out.append(" SQLState ").append(sql.getSQLState());
            }
        }
        return out.toString();
    }
}
