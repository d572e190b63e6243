package dev.dispatch.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The contract in {@code docs/contract.md} and the OpenAPI document the build writes
 * ({@code service/target/openapi/openapi.yaml}, the one {@code /q/openapi} serves) cannot drift: both list the same
 * operations, every problem type the service answers with is documented, every operation has a unique operationId
 * and a summary, and {@code redocly lint} with the recommended rules ({@code redocly.yaml}) finds nothing.
 */
class ContractDocumentsIT {
    private static final String REDOCLY = "@redocly/cli@2.77.0";
    private static final Set<String> METHODS = Set.of("get", "put", "post", "delete", "patch", "head", "options");
    private static Path project;
    private static Path document;
    private static JsonNode openApi;

    @BeforeAll
    static void locate() throws IOException {
        project = Path.of(System.getProperty("test.project.dir", "..")).toAbsolutePath();
        document = project.resolve("service/target/openapi/openapi.yaml");
        assertThat(document).as("the build writes the OpenAPI document").isRegularFile();
        openApi = new ObjectMapper(new YAMLFactory()).readTree(document.toFile());
    }

    private static final Pattern DOC_OPERATION = Pattern.compile(
            "`((?:GET|PUT|POST|DELETE|PATCH)(?:/(?:GET|PUT|POST|DELETE|PATCH))*) (/api/v1/[^`\\s?]+)[^`]*`");
    private static final Pattern SLUG_IN_CODE = Pattern.compile("Problem\\.response\\(\\s*\\w+,\\s*\"([a-z-]+)\"");
    private static final Pattern SLUG_IN_DOC = Pattern.compile("`([a-z-]+)(?:<status>)?`");

    @Test
    void contractAndOpenApiListTheSameOperations() throws IOException {
        JsonNode root = openApi;
        Set<String> served = new TreeSet<>();
        for (Map.Entry<String, JsonNode> path : root.path("paths").properties()) {
            for (Map.Entry<String, JsonNode> op : path.getValue().properties()) {
                if (METHODS.contains(op.getKey())) {
                    served.add(op.getKey().toUpperCase() + " " + path.getKey());
                }
            }
        }
        Set<String> documented = new TreeSet<>();
        Matcher m = DOC_OPERATION.matcher(Files.readString(project.resolve("docs/contract.md")));
        while (m.find()) {
            for (String method : m.group(1).split("/")) {
                documented.add(method + " " + m.group(2));
            }
        }
        assertThat(documented).as("operations in docs/contract.md").isEqualTo(served);
    }

    @Test
    void everyProblemTypeTheServiceAnswersWithIsDocumented() throws IOException {
        Set<String> used = new TreeSet<>();
        try (Stream<Path> files = Files.walk(project.resolve("service/src/main/java/dev/dispatch/api"))) {
            for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                Matcher m = SLUG_IN_CODE.matcher(Files.readString(file));
                while (m.find()) {
                    used.add(m.group(1));
                }
            }
        }
        Set<String> documented = new TreeSet<>();
        String doc = Files.readString(project.resolve("docs/contract.md"));
        String section = doc.substring(doc.indexOf("### Problem types"));
        for (String row : section.lines().takeWhile(l -> !l.startsWith("## ")).toList()) {
            if (row.startsWith("| `")) {
                Matcher m = SLUG_IN_DOC.matcher(row.split("\\|")[1]);
                while (m.find()) {
                    documented.add(m.group(1));
                }
            }
        }
        assertThat(used).as("problem types served").isNotEmpty();
        assertThat(documented).as("problem types in docs/contract.md").containsAll(used);
    }

    @Test
    void everyOperationHasAUniqueOperationIdAndASummary() throws IOException {
        JsonNode root = openApi;
        assertThat(root.path("servers")).as("servers").isNotEmpty();
        List<String> missing = new ArrayList<>();
        Set<String> ids = new HashSet<>();
        List<String> duplicates = new ArrayList<>();
        for (Map.Entry<String, JsonNode> path : root.path("paths").properties()) {
            for (Map.Entry<String, JsonNode> op : path.getValue().properties()) {
                if (!METHODS.contains(op.getKey())) {
                    continue;
                }
                String where = op.getKey().toUpperCase() + " " + path.getKey();
                String id = op.getValue().path("operationId").asText("");
                if (id.isEmpty() || op.getValue().path("summary").asText("").isEmpty()) {
                    missing.add(where);
                } else if (!ids.add(id)) {
                    duplicates.add(id + " (" + where + ")");
                }
            }
        }
        assertThat(ids).hasSizeGreaterThanOrEqualTo(30);
        assertThat(missing).as("operations without operationId or summary").isEmpty();
        assertThat(duplicates).as("operationIds used twice").isEmpty();
    }

    @Test
    void redoclyLintWithTheRecommendedRulesFindsNothing() throws IOException, InterruptedException {
        Assumptions.assumeTrue(onPath("npx"), "npx (Node.js) is not installed: redocly lint skipped");
        Path report = Files.createTempFile("redocly", ".json");
        Process lint = new ProcessBuilder(
                        "npx",
                        "--yes",
                        REDOCLY,
                        "lint",
                        "--config",
                        project.resolve("redocly.yaml").toString(),
                        "--format=json",
                        document.toString())
                .directory(project.toFile())
                .redirectErrorStream(false)
                .redirectOutput(report.toFile())
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
        assertThat(lint.waitFor(5, TimeUnit.MINUTES)).as("redocly finished").isTrue();
        String output = Files.readString(report, StandardCharsets.UTF_8);
        Files.delete(report);
        JsonNode result = new ObjectMapper().readTree(output.substring(Math.max(0, output.indexOf('{'))));
        assertThat(result.path("totals").path("errors").asInt(-1)).as(output).isZero();
        assertThat(result.path("totals").path("warnings").asInt(-1)).as(output).isZero();
        assertThat(lint.exitValue()).as(output).isZero();
    }

    private static boolean onPath(String command) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, command))) {
                return true;
            }
        }
        return false;
    }
}
