package dev.dispatch.tenancy;

import java.util.Set;

/**
 * Who is calling: the token's subject, its tenant and roles, and where the call came from (for audit).
 *
 * @param source e.g. {@code rest:10.0.0.7} or {@code kafka:dispatch.job-requests.v1/2@1234}
 */
public record Caller(String tenantId, String subject, Set<String> roles, String source) {}
