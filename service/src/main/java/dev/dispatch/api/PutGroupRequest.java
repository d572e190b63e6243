package dev.dispatch.api;

import java.util.List;
import java.util.Map;

/** Body of {@code PUT /groups/{name}}: explicit member host names and/or a label selector (at least one). */
public record PutGroupRequest(List<String> members, Map<String, String> selector) {}
