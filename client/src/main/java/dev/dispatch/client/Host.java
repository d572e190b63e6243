package dev.dispatch.client;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.util.List;
import java.util.Map;

/** An inventory host of the caller's tenant. */
@JsonIgnoreProperties(ignoreUnknown = true)
public record Host(
        String name,
        String address,
        int port,
        String user,
        String credential,
        Map<String, String> labels,
        List<String> groups) {}
