package dev.dispatch.job;

import java.util.UUID;

/** The job does not exist in the caller's tenant (other tenants' jobs are reported the same way). */
public class JobNotFoundException extends RuntimeException {
    public JobNotFoundException(UUID id) {
        super("job " + id + " not found");
    }

    public JobNotFoundException(String id) {
        super("job " + id + " not found");
    }
}
