package dev.dispatch.testing;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * A real outage of the test database, for as long as it is open: PostgreSQL refuses new connections to it and every
 * open one is terminated (what a restart does to clients), while other databases on the server stay up.
 */
public final class DatabaseOutage implements AutoCloseable {
    private final String database;

    private DatabaseOutage(String database) {
        this.database = database;
    }

    /** Starts an outage of the test suite's database. */
    public static DatabaseOutage start() {
        DatabaseOutage outage = new DatabaseOutage(TestServicesResource.DATABASE);
        outage.admin(
                "alter database " + outage.database + " allow_connections false",
                "select pg_terminate_backend(pid) from pg_stat_activity where datname = '" + outage.database
                        + "' and pid <> pg_backend_pid()");
        return outage;
    }

    /**
     * Terminates every open connection to the test suite's database, as a PostgreSQL restart does to its clients,
     * and lets new ones in at once.
     */
    public static void terminateConnections() {
        new DatabaseOutage(TestServicesResource.DATABASE)
                .admin("select pg_terminate_backend(pid) from pg_stat_activity" + " where datname = '"
                        + TestServicesResource.DATABASE + "' and pid <> pg_backend_pid()");
    }

    /** Ends the outage: the database accepts connections again. */
    @Override
    public void close() {
        admin("alter database " + database + " allow_connections true");
    }

    private void admin(String... statements) {
        try (Connection c = TestPostgres.admin("postgres");
                Statement s = c.createStatement()) {
            for (String sql : statements) {
                s.execute(sql);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot control the test database: " + e.getMessage(), e);
        }
    }
}
