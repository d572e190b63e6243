package dev.dispatch.worker;

import java.sql.SQLException;
import java.sql.SQLTransientException;

/**
 * Tells a database outage (worth retrying the same write) from a failure the same write would meet again: looks
 * through the cause chain for a connection-class SQLState (08, 57P restart/shutdown, 53 resources), a
 * serialization failure or deadlock (40001, 40P01), or the pool's acquisition timeout.
 */
final class DatabaseFailures {
    private DatabaseFailures() {
    }

    /** True if {@code failure} came from the database being unreachable, restarting or momentarily contended. */
    static boolean isTransient(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof SQLTransientException) {
                return true;
            }
            if (t instanceof SQLException sql) {
                String state = sql.getSQLState();
                if (state != null && (state.startsWith("08") || state.startsWith("57P") || state.startsWith("53")
                        || state.equals("40001") || state.equals("40P01"))) {
                    return true;
                }
                String message = sql.getMessage() == null ? "" : sql.getMessage();
                if (message.contains("Acquisition timeout")
                        || "55000".equals(state) && message.contains("not currently accepting connections")) {
                    return true;
                }
            }
            String type = t.getClass().getSimpleName();
            if (type.equals("JDBCConnectionException") || type.equals("ConnectException")
                    || type.equals("LockAcquisitionException")) {
                return true;
            }
        }
        return false;
    }
}
