package dev.dispatch.job;

/** The job has no run on the named host. */
public class HostRunNotFoundException extends RuntimeException {
    public HostRunNotFoundException(String jobId, String host) {
        super("job " + jobId + " has no run on host " + host);
    }
}
