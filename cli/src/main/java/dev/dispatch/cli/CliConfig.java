package dev.dispatch.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The command's contexts file ({@code $DISPATCH_CONFIG}, else {@code $XDG_CONFIG_HOME/dispatch/config.toml}, else
 * {@code ~/.config/dispatch/config.toml}):
 *
 * <pre>
 * current = "local"
 * [contexts.local]
 * url = "http://127.0.0.1:8080"
 * token = "eyJ..."
 * tenant = "demo"
 * </pre>
 *
 * A context may name {@code token-file} instead of {@code token}: the file is read when the context is used
 * ({@code bin/dispatch-local} writes such a {@code local} context pointing at the token it mints on every start).
 */
record CliConfig(String current, Map<String, Context> contexts, Map<String, Path> tokenFiles) {
    /** Default server when nothing names one. */
    static final String DEFAULT_URL = "http://127.0.0.1:8080";

    /** One named server and identity. Any field may be null. */
    record Context(String url, String token, String tenant) {}

    /** Where the file is for this environment. */
    static Path location(Map<String, String> env) {
        String explicit = env.get("DISPATCH_CONFIG");
        if (explicit != null && !explicit.isBlank()) {
            return Path.of(explicit);
        }
        String xdg = env.get("XDG_CONFIG_HOME");
        Path base = xdg != null && !xdg.isBlank()
                ? Path.of(xdg)
                : Path.of(env.getOrDefault("HOME", System.getProperty("user.home")), ".config");
        return base.resolve("dispatch").resolve("config.toml");
    }

    /** The file's contexts; an absent file has none. */
    static CliConfig load(Path file) throws IOException {
        if (!Files.exists(file)) {
            return new CliConfig(null, Map.of(), Map.of());
        }
        return parse(Files.readString(file));
    }

    /** Parses the TOML text. */
    static CliConfig parse(String toml) throws IOException {
        JsonNode root = new TomlMapper().readTree(toml);
        Map<String, Context> contexts = new LinkedHashMap<>();
        Map<String, Path> tokenFiles = new LinkedHashMap<>();
        JsonNode all = root.path("contexts");
        all.fieldNames().forEachRemaining(name -> {
            JsonNode c = all.get(name);
            contexts.put(name, new Context(text(c, "url"), text(c, "token"), text(c, "tenant")));
            if (text(c, "token-file") != null) {
                tokenFiles.put(name, Path.of(text(c, "token-file")));
            }
        });
        return new CliConfig(text(root, "current"), contexts, tokenFiles);
    }

    /**
     * The effective context: the one named by {@code contextName} (else the file's {@code current}), with
     * {@code DISPATCH_URL}/{@code DISPATCH_TOKEN} from {@code env} taking precedence over its fields.
     *
     * @throws IllegalArgumentException if a context is named that the file does not have
     */
    Context resolve(String contextName, Map<String, String> env) {
        String name = contextName != null ? contextName : current;
        Context base = new Context(null, null, null);
        if (name != null) {
            base = contexts.get(name);
            if (base == null) {
                if (contextName != null || env.get("DISPATCH_URL") == null) {
                    throw new IllegalArgumentException("no context '" + name + "' in the config file (contexts: "
                            + String.join(", ", contexts.keySet()) + ")");
                }
                base = new Context(null, null, null);
            }
        }
        String url = firstNonBlank(env.get("DISPATCH_URL"), base.url(), DEFAULT_URL);
        String token = firstNonBlank(env.get("DISPATCH_TOKEN"), base.token(), null);
        if (token == null && name != null && tokenFiles.containsKey(name)) {
            token = readToken(tokenFiles.get(name));
        }
        return new Context(url, token, base.tenant());
    }

    private static String readToken(Path file) {
        try {
            return Files.readString(file).strip();
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read token-file " + file + ": " + e.getMessage());
        }
    }

    private static String text(JsonNode n, String field) {
        return n.hasNonNull(field) ? n.get(field).asText() : null;
    }

    private static String firstNonBlank(String a, String b, String fallback) {
        if (a != null && !a.isBlank()) {
            return a;
        }
        if (b != null && !b.isBlank()) {
            return b;
        }
        return fallback;
    }
}
