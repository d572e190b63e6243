package dev.dispatch.worker;

import io.agroal.api.AgroalDataSource;
import io.agroal.api.configuration.AgroalConnectionFactoryConfiguration;
import io.agroal.api.security.SimplePassword;
import jakarta.enterprise.context.ApplicationScoped;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;
import org.jboss.logging.Logger;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/**
 * Wakes the claim loop when any process queues runs: it LISTENs on the channel that a trigger on {@code host_run}
 * notifies at commit (V14), so a worker pod starts a job submitted through another pod at once instead of at its
 * next poll. Polling stays the fallback: while the database is away this reconnects with backoff and wakes the loop
 * once connected again (runs queued meanwhile were not announced).
 *
 * <p>It holds one connection of its own, opened with the datasource's URL and credentials outside the pool, so the
 * pool's size and {@link WorkerConfig#reservedConnections()} keep their meaning. A datasource whose credentials come
 * from a provider (no user/password in the configuration) is used as configured; if the listener cannot connect, it
 * logs once at INFO and workers poll. One thread; {@link #start} and {@link #stop} are called once each.
 */
@ApplicationScoped
public class RunsQueuedListener {
    /** The notification channel of V14's trigger. */
    static final String CHANNEL = "dispatch_runs_queued";

    private static final Logger LOG = Logger.getLogger(RunsQueuedListener.class);
    private static final int WAIT_MILLIS = 5_000;
    private static final long MAX_BACKOFF_MILLIS = 10_000;

    private final AgroalConnectionFactoryConfiguration connection;
    private final AtomicLong notifications = new AtomicLong();
    private volatile boolean running;
    private volatile Connection current;
    private Thread thread;

    public RunsQueuedListener(AgroalDataSource dataSource) {
        this.connection =
                dataSource.getConfiguration().connectionPoolConfiguration().connectionFactoryConfiguration();
    }

    /** Starts listening; {@code wake} runs on the listener's thread for every notification and after each connect. */
    void start(Runnable wake) {
        running = true;
        thread = Thread.ofPlatform().name("dispatch-runs-queued").daemon().start(() -> listen(wake));
    }

    /** Stops listening and closes the connection. */
    void stop() {
        running = false;
        Connection c = current;
        if (c != null) {
            try {
                c.close();
            } catch (SQLException ignored) {
                // closing a connection that is already broken
            }
        }
        if (thread != null) {
            thread.interrupt();
        }
    }

    /** True while the listener holds a listening connection. */
    boolean connected() {
        return current != null;
    }

    /** How many notifications this process received since it started (for tests and the debug log). */
    long notifications() {
        return notifications.get();
    }

    private void listen(Runnable wake) {
        long backoff = 500;
        boolean reported = false;
        while (running) {
            try (Connection c = open();
                    Statement statement = c.createStatement()) {
                statement.execute("LISTEN " + CHANNEL);
                current = c;
                PGConnection pg = c.unwrap(PGConnection.class);
                if (reported) {
                    LOG.info("listening for queued runs again");
                }
                reported = false;
                backoff = 500;
                wake.run();
                while (running) {
                    PGNotification[] received = pg.getNotifications(WAIT_MILLIS);
                    if (received != null && received.length > 0) {
                        notifications.addAndGet(received.length);
                        wake.run();
                    } else {
                        // a connection the network dropped silently shows here, not in getNotifications
                        statement.execute("select 1");
                    }
                }
            } catch (SQLException | RuntimeException e) {
                current = null;
                if (!running) {
                    return;
                }
                if (!reported) {
                    LOG.infof("not listening for queued runs (workers poll meanwhile): %s", e.getMessage());
                    reported = true;
                }
                try {
                    Thread.sleep(backoff);
                } catch (InterruptedException interrupted) {
                    return;
                }
                backoff = Math.min(backoff * 2, MAX_BACKOFF_MILLIS);
            }
        }
    }

    private Connection open() throws SQLException {
        Properties properties = new Properties();
        properties.putAll(connection.jdbcProperties());
        if (connection.principal() != null) {
            properties.setProperty("user", connection.principal().getName());
        }
        for (Object credential : connection.credentials()) {
            if (credential instanceof SimplePassword password) {
                properties.setProperty("password", password.getWord());
            }
        }
        properties.setProperty("ApplicationName", "dispatch-runs-queued");
        // the server must answer the keep-alive query; a dead peer then fails the socket instead of hanging
        properties.setProperty("socketTimeout", Integer.toString(WAIT_MILLIS / 1000 * 3));
        return DriverManager.getConnection(connection.jdbcUrl(), properties);
    }
}
