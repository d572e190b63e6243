package dev.dispatch;

/** What this process does: serve the API (and intake), run host runs, or both. */
public enum Role {
    API,
    WORKER,
    ALL;

    /** True if this process serves REST and intake. */
    public boolean servesApi() {
        return this != WORKER;
    }

    /** True if this process claims and executes host runs. */
    public boolean runsWorker() {
        return this != API;
    }
}
