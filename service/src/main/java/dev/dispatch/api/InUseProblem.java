package dev.dispatch.api;

import java.util.List;

/**
 * A problem document ({@code credential-in-use}, 409) with the extension member {@code hosts}: the hosts that still
 * refer to the object that was to be deleted.
 */
public record InUseProblem(String type, String title, int status, String detail, List<String> hosts) {}
