package dev.dispatch.ops;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/** Holds the Kubernetes base, docker-compose.yml and the Dockerfiles to what an operator of dispatch relies on. */
class DeploymentManifestsTest {
    private static final Path PROJECT =
            Path.of(System.getProperty("test.project.dir", ".")).toAbsolutePath();
    private static final Path K8S = PROJECT.resolve("deploy/k8s");
    private static final Set<String> REQUIRED_ENV = Set.of(
            "QUARKUS_DATASOURCE_JDBC_URL",
            "QUARKUS_DATASOURCE_USERNAME",
            "QUARKUS_DATASOURCE_PASSWORD",
            "KAFKA_BOOTSTRAP_SERVERS",
            "MP_JWT_VERIFY_PUBLICKEY_LOCATION",
            "MP_JWT_VERIFY_ISSUER",
            "DISPATCH_ROLE",
            "DISPATCH_CREDENTIALS_ENCRYPTION_KEY");
    private static final Set<String> SECRET_ENV =
            Set.of("QUARKUS_DATASOURCE_PASSWORD", "DISPATCH_CREDENTIALS_ENCRYPTION_KEY");
    private static final Pattern STANDARD_ENV = Pattern.compile("(QUARKUS|MP|KAFKA|DISPATCH)_[A-Z0-9_]+");
    private static final int DEFAULT_DRAIN_SECONDS = 30;

    private record Doc(Path file, Map<String, Object> body) {
        String kind() {
            return (String) body.get("kind");
        }

        String name() {
            return (String) map(body.get("metadata")).get("name");
        }
    }

    @Test
    void everyKubernetesDocumentParsesAndIsListedInTheKustomization() throws IOException {
        List<Doc> docs = k8s();
        assertThat(docs).isNotEmpty();
        for (Doc doc : docs) {
            assertThat(doc.body()).as(doc.file().toString()).containsKeys("apiVersion", "kind", "metadata");
            assertThat(doc.name()).as(doc.file() + " metadata.name").isNotBlank();
            assertThat(map(doc.body().get("metadata")).get("namespace"))
                    .as(doc.kind() + " " + doc.name())
                    .isIn(null, "dispatch");
        }
        Map<String, Object> kustomization =
                loadAll(K8S.resolve("kustomization.yaml")).getFirst();
        assertThat(kustomization).containsEntry("kind", "Kustomization").containsEntry("namespace", "dispatch");
        try (Stream<Path> files = Files.list(K8S)) {
            assertThat(list(kustomization.get("resources")).stream()
                            .map(String.class::cast)
                            .toList())
                    .containsExactlyInAnyOrderElementsOf(
                            files.map(p -> p.getFileName().toString())
                                    .filter(n -> n.endsWith(".yaml") && !n.equals("kustomization.yaml"))
                                    .toList());
        }
        assertThat(kinds(docs))
                .contains(
                        "Namespace",
                        "ServiceAccount",
                        "ConfigMap",
                        "Deployment",
                        "Service",
                        "HorizontalPodAutoscaler",
                        "PodDisruptionBudget",
                        "NetworkPolicy");
    }

    @Test
    void podsRunAsNonRootWithoutPrivilegesOnAReadOnlyRootWithAWritableTmp() {
        for (Doc deployment : deployments()) {
            Map<String, Object> pod = podSpec(deployment);
            Map<String, Object> podSecurity = map(pod.get("securityContext"));
            assertThat(pod.get("automountServiceAccountToken"))
                    .as(deployment.name())
                    .isEqualTo(false);
            assertThat(at(podSecurity, "seccompProfile", "type"))
                    .as(deployment.name())
                    .isEqualTo("RuntimeDefault");
            assertThat(podSecurity.get("runAsUser")).as(deployment.name()).isNotEqualTo(0);
            Set<String> emptyDirs = new HashSet<>();
            for (Object volume : list(pod.get("volumes"))) {
                if (map(volume).containsKey("emptyDir")) {
                    emptyDirs.add((String) map(volume).get("name"));
                }
            }
            for (Map<String, Object> container : containers(deployment)) {
                String what = deployment.name() + "/" + container.get("name");
                Map<String, Object> security = map(container.get("securityContext"));
                assertThat(Objects.requireNonNullElse(security.get("runAsNonRoot"), podSecurity.get("runAsNonRoot")))
                        .as(what + " runAsNonRoot")
                        .isEqualTo(true);
                assertThat(security)
                        .as(what)
                        .containsEntry("allowPrivilegeEscalation", false)
                        .containsEntry("readOnlyRootFilesystem", true);
                assertThat(list(at(security, "capabilities", "drop"))).as(what).contains("ALL");
                assertThat(list(container.get("volumeMounts")))
                        .as(what + " /tmp")
                        .anySatisfy(m -> {
                            assertThat(map(m).get("mountPath")).isEqualTo("/tmp");
                            assertThat(map(m).get("name")).isIn(emptyDirs);
                        });
            }
        }
    }

    @Test
    void probesUseTheQuarkusHealthEndpointsOnTheManagementPort() {
        Map<String, String> expected = Map.of(
                "startupProbe",
                "/q/health/started",
                "livenessProbe",
                "/q/health/live",
                "readinessProbe",
                "/q/health/ready");
        for (Doc deployment : deployments()) {
            for (Map<String, Object> container : containers(deployment)) {
                Set<Object> ports = new HashSet<>();
                for (Object port : list(container.get("ports"))) {
                    if (Integer.valueOf(9000).equals(map(port).get("containerPort"))) {
                        ports.add(9000);
                        ports.add(map(port).get("name"));
                    }
                }
                expected.forEach((probe, path) -> {
                    String what = deployment.name() + " " + probe;
                    assertThat(at(container, probe, "httpGet", "path")).as(what).isEqualTo(path);
                    assertThat(at(container, probe, "httpGet", "port")).as(what).isIn(ports);
                });
            }
        }
    }

    @Test
    void everyContainerRequestsAndLimitsCpuAndMemory() {
        for (Doc deployment : deployments()) {
            for (Map<String, Object> container : containers(deployment)) {
                for (String bound : List.of("requests", "limits")) {
                    assertThat(map(at(container, "resources", bound)))
                            .as(deployment.name() + " " + bound)
                            .containsKeys("cpu", "memory");
                }
            }
        }
    }

    @Test
    void podsGetMoreTerminationGraceThanTheWorkerDrainTimeout() {
        for (Doc deployment : deployments()) {
            int grace = (Integer) podSpec(deployment).get("terminationGracePeriodSeconds");
            assertThat(grace).as(deployment.name()).isGreaterThanOrEqualTo(40);
            String drain = env(deployment).getOrDefault("DISPATCH_WORKER_DRAIN_TIMEOUT", DEFAULT_DRAIN_SECONDS + "s");
            Matcher seconds = Pattern.compile("(\\d+)s").matcher(drain);
            assertThat(seconds.matches())
                    .as("drain timeout " + drain + " in seconds")
                    .isTrue();
            assertThat(grace)
                    .as(deployment.name() + " grace vs drain")
                    .isGreaterThanOrEqualTo(Integer.parseInt(seconds.group(1)) + 10);
        }
    }

    @Test
    void apiAndWorkerAreOneImageInTwoRolesConfiguredByStandardEnvNames() {
        Map<String, String> roles = new HashMap<>();
        Set<String> images = new HashSet<>();
        Map<String, Object> configMap = k8sDocs("ConfigMap").stream()
                .filter(d -> d.name().equals("dispatch-config"))
                .findFirst()
                .orElseThrow()
                .body();
        Set<String> configKeys = map(configMap.get("data")).keySet();
        assertThat(configKeys).allMatch(k -> STANDARD_ENV.matcher(k).matches()).doesNotContainAnyElementsOf(SECRET_ENV);
        for (Doc deployment : deployments()) {
            Map<String, String> env = env(deployment);
            roles.put(deployment.name(), env.get("DISPATCH_ROLE"));
            containers(deployment).forEach(c -> images.add((String) c.get("image")));
            assertThat(env.keySet())
                    .as(deployment.name())
                    .allMatch(k -> STANDARD_ENV.matcher(k).matches());
            Set<String> names = new HashSet<>(env.keySet());
            names.addAll(configKeys);
            assertThat(names).as(deployment.name()).containsAll(REQUIRED_ENV);
            for (Map<String, Object> container : containers(deployment)) {
                assertThat(list(container.get("envFrom")))
                        .anySatisfy(from ->
                                assertThat(at(from, "configMapRef", "name")).isEqualTo("dispatch-config"));
                for (Object entry : list(container.get("env"))) {
                    if (SECRET_ENV.contains(map(entry).get("name"))) {
                        assertThat(map(entry))
                                .as(deployment.name() + " " + map(entry).get("name"))
                                .doesNotContainKey("value");
                        assertThat(at(entry, "valueFrom", "secretKeyRef", "name"))
                                .isEqualTo("dispatch-secrets");
                    }
                }
            }
        }
        assertThat(roles).containsEntry("dispatch-api", "api").containsEntry("dispatch-worker", "worker");
        assertThat(images).hasSize(1);
    }

    @Test
    void secretsAreOnlyReferencedAndTheirKeysAreDocumented() throws IOException {
        for (Path file : repositoryYaml()) {
            for (Map<String, Object> doc : loadAll(file)) {
                if ("Secret".equals(doc.get("kind"))) {
                    assertThat(doc).as(file + " commits a Secret").doesNotContainKeys("data", "stringData");
                }
            }
        }
        Set<String> keys = new HashSet<>();
        for (Doc deployment : deployments()) {
            for (Map<String, Object> container : containers(deployment)) {
                for (Object entry : list(container.get("env"))) {
                    Object ref = at(entry, "valueFrom", "secretKeyRef");
                    if (ref != null) {
                        assertThat(map(ref).get("name")).isEqualTo("dispatch-secrets");
                        keys.add((String) map(ref).get("key"));
                    }
                }
            }
            for (Object volume : list(podSpec(deployment).get("volumes"))) {
                Object secret = map(volume).get("secret");
                if (secret != null) {
                    assertThat(map(secret).get("secretName")).isEqualTo("dispatch-secrets");
                    list(map(secret).get("items"))
                            .forEach(item -> keys.add((String) map(item).get("key")));
                }
            }
        }
        String readme = Files.readString(PROJECT.resolve("deploy/README.md"));
        assertThat(keys).contains("datasource-password", "credentials-encryption-key", "jwt-public.pem");
        assertThat(keys).allSatisfy(key -> assertThat(readme).contains("`" + key + "`"));
    }

    @Test
    void noPrivateKeyIsCommittedUnderDeployOrInCompose() throws IOException {
        List<Path> files = new ArrayList<>();
        try (Stream<Path> walk = Files.walk(PROJECT.resolve("deploy"))) {
            walk.filter(Files::isRegularFile).forEach(files::add);
        }
        files.add(PROJECT.resolve("docker-compose.yml"));
        files.add(PROJECT.resolve("service/src/main/docker/Dockerfile.jvm"));
        for (Path file : files) {
            assertThat(Files.readString(file))
                    .as(file.toString())
                    .doesNotContainPattern("-----BEGIN [A-Z ]*PRIVATE KEY-----");
        }
    }

    @Test
    void servicesBudgetsAndPoliciesSelectPodsThatExist() {
        List<Map<String, Object>> podLabels = new ArrayList<>();
        for (Doc deployment : deployments()) {
            Map<String, Object> labels = map(at(deployment.body(), "spec", "template", "metadata", "labels"));
            assertThat(labels)
                    .as(deployment.name() + " selects its own pods")
                    .containsAllEntriesOf(map(at(deployment.body(), "spec", "selector", "matchLabels")));
            podLabels.add(labels);
        }
        for (Doc service : k8sDocs("Service")) {
            Map<String, Object> selector = map(at(service.body(), "spec", "selector"));
            assertThat(selector).as(service.name()).isNotEmpty();
            assertThat(podLabels)
                    .as(service.name())
                    .anySatisfy(l -> assertThat(l).containsAllEntriesOf(selector));
        }
        for (String kind : List.of("PodDisruptionBudget", "NetworkPolicy")) {
            for (Doc doc : k8sDocs(kind)) {
                String selectorPath = kind.equals("NetworkPolicy") ? "podSelector" : "selector";
                Map<String, Object> selector = map(at(doc.body(), "spec", selectorPath, "matchLabels"));
                assertThat(podLabels)
                        .as(kind + " " + doc.name())
                        .anySatisfy(l -> assertThat(l).containsAllEntriesOf(selector));
            }
        }
        assertThat(k8sDocs("PodDisruptionBudget"))
                .extracting(d -> at(d.body(), "spec", "selector", "matchLabels", "app.kubernetes.io/component"))
                .containsExactlyInAnyOrder("api", "worker");
    }

    @Test
    void autoscalerScalesTheWorkerDeploymentWhichLeavesReplicasToIt() {
        List<Doc> hpas = k8sDocs("HorizontalPodAutoscaler");
        assertThat(hpas).hasSize(1);
        Map<String, Object> hpa = hpas.getFirst().body();
        assertThat(hpa).containsEntry("apiVersion", "autoscaling/v2");
        assertThat(map(at(hpa, "spec", "scaleTargetRef")))
                .containsEntry("apiVersion", "apps/v1")
                .containsEntry("kind", "Deployment")
                .containsEntry("name", "dispatch-worker");
        assertThat((Integer) at(hpa, "spec", "minReplicas")).isPositive().isLessThanOrEqualTo((Integer)
                at(hpa, "spec", "maxReplicas"));
        Doc worker = deployments().stream()
                .filter(d -> d.name().equals("dispatch-worker"))
                .findFirst()
                .orElseThrow();
        assertThat(map(worker.body().get("spec"))).doesNotContainKey("replicas");
    }

    @Test
    void networkPoliciesDenyByDefaultAndOpenOnlyWhatEachRoleNeeds() {
        Map<String, Map<String, Object>> policies = new HashMap<>();
        k8sDocs("NetworkPolicy")
                .forEach(d -> policies.put(d.name(), map(d.body().get("spec"))));
        assertThat(policies).containsKeys("dispatch-default-deny", "dispatch-api", "dispatch-worker");

        Map<String, Object> deny = policies.get("dispatch-default-deny");
        assertThat(map(deny.get("podSelector"))).isEmpty();
        assertThat(list(deny.get("policyTypes"))).containsExactlyInAnyOrder("Ingress", "Egress");
        assertThat(deny).doesNotContainKeys("ingress", "egress");

        Map<String, Object> api = policies.get("dispatch-api");
        assertThat(ports(api.get("ingress"))).containsExactlyInAnyOrder("TCP/8080", "TCP/9000");
        assertThat(ports(api.get("egress")))
                .contains("UDP/53", "TCP/5432", "TCP/9092")
                .doesNotContain("TCP/22");

        Map<String, Object> worker = policies.get("dispatch-worker");
        assertThat(list(worker.get("policyTypes"))).contains("Ingress");
        assertThat(ports(worker.get("ingress"))).containsExactly("TCP/9000");
        assertThat(ports(worker.get("egress"))).contains("UDP/53", "TCP/5432", "TCP/9092", "TCP/22");
    }

    @Test
    void composeServicesAreHealthCheckedAndStartOnlyWhenWhatTheyNeedIsReady() {
        Map<String, Object> services = composeServices();
        assertThat(services)
                .containsKeys(
                        "init",
                        "postgres",
                        "kafka",
                        "dispatch-api",
                        "dispatch-worker",
                        "target-1",
                        "target-2",
                        "target-3");
        services.forEach((name, value) -> {
            Map<String, Object> service = map(value);
            if (!name.equals("init")) {
                assertThat(list(at(service, "healthcheck", "test")))
                        .as(name + " healthcheck")
                        .isNotEmpty();
            }
            Object dependsOn = service.get("depends_on");
            if (dependsOn == null) {
                return;
            }
            assertThat(dependsOn).as(name + " depends_on with conditions").isInstanceOf(Map.class);
            map(dependsOn).forEach((dependency, spec) -> {
                assertThat(services).as(name + " -> " + dependency).containsKey(dependency);
                String condition = (String) map(spec).get("condition");
                assertThat(condition)
                        .as(name + " -> " + dependency)
                        .isEqualTo(dependency.equals("init") ? "service_completed_successfully" : "service_healthy");
            });
        });
        for (String dependent : List.of("postgres", "dispatch-api", "dispatch-worker", "target-1")) {
            assertThat(map(at(services, dependent, "depends_on"))).as(dependent).containsKey("init");
        }
        for (String dispatch : List.of("dispatch-api", "dispatch-worker")) {
            assertThat(map(at(services, dispatch, "depends_on"))).containsKeys("postgres", "kafka");
        }
        assertThat(String.join(
                        " ",
                        list(at(services, "postgres", "healthcheck", "test")).stream()
                                .map(String::valueOf)
                                .toList()))
                .contains("pg_isready");
    }

    @Test
    void composeRunsApiAndWorkerFromOneBuildInTwoRolesWithStandardEnvNames() throws IOException {
        Map<String, Object> services = composeServices();
        Map<String, Object> api = map(services.get("dispatch-api"));
        Map<String, Object> worker = map(services.get("dispatch-worker"));
        assertThat(api.get("build")).isNotNull().isEqualTo(worker.get("build"));
        assertThat(api.get("image")).isNotNull().isEqualTo(worker.get("image"));
        assertThat(at(api, "build", "context")).isEqualTo(".");
        assertThat(PROJECT.resolve((String) at(api, "build", "dockerfile")))
                .isEqualTo(PROJECT.resolve("service/src/main/docker/Dockerfile.jvm"))
                .isRegularFile();
        assertThat(at(api, "environment", "DISPATCH_ROLE")).isEqualTo("api");
        assertThat(at(worker, "environment", "DISPATCH_ROLE")).isEqualTo("worker");
        assertThat(list(api.get("ports"))).contains("8080:8080");

        for (Map<String, Object> service : List.of(api, worker)) {
            Map<String, Object> env = map(service.get("environment"));
            assertThat(env.keySet())
                    .allMatch(k -> STANDARD_ENV.matcher(k).matches())
                    .contains(
                            "QUARKUS_DATASOURCE_JDBC_URL",
                            "QUARKUS_DATASOURCE_USERNAME",
                            "KAFKA_BOOTSTRAP_SERVERS",
                            "MP_JWT_VERIFY_PUBLICKEY_LOCATION",
                            "MP_JWT_VERIFY_ISSUER")
                    .doesNotContainAnyElementsOf(SECRET_ENV);
            assertThat(service).containsEntry("read_only", true);
            assertThat(list(service.get("tmpfs"))).contains("/tmp");
            assertThat((String) env.get("QUARKUS_CONFIG_LOCATIONS"))
                    .isEqualTo("file:/keys/dispatch-secrets.properties");
            assertThat(list(service.get("volumes"))).contains("dispatch-keys:/keys:ro");
        }
        assertThat(list(at(services, "init", "volumes"))).contains("dispatch-keys:/out/app");
        String init = Files.readString(PROJECT.resolve("deploy/target-host/dispatch-init-keys"));
        assertThat(init)
                .contains(
                        "dispatch-secrets.properties",
                        "dispatch.credentials.encryption-key=",
                        "quarkus.datasource.password=",
                        "jwt-private.pem",
                        "jwt-public.pem",
                        "credentials.key");
    }

    @Test
    void composeRunsOfficialPostgresAndKafka4InKraftModeAndBuildsTheTargetsFromTheTargetHostImage() {
        Map<String, Object> services = composeServices();
        assertThat((String) at(services, "postgres", "image")).matches("postgres:\\d+(\\.\\d+)?");
        assertThat((String) at(services, "kafka", "image")).matches("apache/kafka:4\\.\\d+\\.\\d+");
        assertThat((String) at(services, "kafka", "environment", "KAFKA_PROCESS_ROLES"))
                .contains("controller");
        for (String target : List.of("init", "target-1", "target-2", "target-3")) {
            assertThat(at(services, target, "build", "context")).as(target).isEqualTo("deploy/target-host");
        }
        for (String target : List.of("target-1", "target-2", "target-3")) {
            assertThat(at(services, target, "environment", "TARGET_NAME")).isEqualTo(target);
            assertThat(list(at(services, target, "volumes"))).contains("target-keys:/keys:ro");
        }
    }

    @Test
    void dispatchImageRunsJava21AsNonRootOn8080WithTheJvmAsPid1() throws IOException {
        String dockerfile = Files.readString(PROJECT.resolve("service/src/main/docker/Dockerfile.jvm"));
        assertThat(dockerfile)
                .containsPattern("(?m)^FROM \\S*(temurin:21|openjdk-21)\\S*")
                .containsPattern("(?m)^EXPOSE 8080$")
                .contains("target/quarkus-app/lib/", "target/quarkus-app/app/", "target/quarkus-app/quarkus/")
                .containsPattern("(?m)^ENTRYPOINT \\[\"java\", .*quarkus-run\\.jar\"\\]$");
        Matcher user = Pattern.compile("(?m)^USER (\\S+)$").matcher(dockerfile);
        String last = null;
        while (user.find()) {
            last = user.group(1);
        }
        assertThat(last).isNotNull().doesNotStartWith("root").doesNotStartWith("0");
    }

    @Test
    void targetHostImageBakesInNoHostKeysAndAllowsOnlyKeyLogins() throws IOException {
        String dockerfile = Files.readString(PROJECT.resolve("deploy/target-host/Dockerfile"));
        assertThat(dockerfile).contains("rm -f /etc/ssh/ssh_host_*").containsPattern("(?m)^EXPOSE 22$");
        String sshd = Files.readString(PROJECT.resolve("deploy/target-host/sshd_config.d/dispatch.conf"));
        assertThat(sshd)
                .containsPattern("(?m)^PasswordAuthentication no$")
                .containsPattern("(?m)^KbdInteractiveAuthentication no$")
                .containsPattern("(?m)^PermitRootLogin no$")
                .containsPattern("(?m)^PubkeyAuthentication yes$");
    }

    private static List<Doc> k8s() {
        List<Doc> docs = new ArrayList<>();
        try (Stream<Path> files = Files.list(K8S)) {
            for (Path file :
                    files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList()) {
                if (!file.getFileName().toString().equals("kustomization.yaml")) {
                    loadAll(file).forEach(body -> docs.add(new Doc(file, body)));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return docs;
    }

    private static List<Doc> k8sDocs(String kind) {
        return k8s().stream().filter(d -> kind.equals(d.kind())).toList();
    }

    private static List<Doc> deployments() {
        List<Doc> deployments = k8sDocs("Deployment");
        assertThat(deployments).extracting(Doc::name).containsExactlyInAnyOrder("dispatch-api", "dispatch-worker");
        return deployments;
    }

    private static Map<String, Object> podSpec(Doc deployment) {
        return map(at(deployment.body(), "spec", "template", "spec"));
    }

    private static List<Map<String, Object>> containers(Doc deployment) {
        List<Object> containers = list(podSpec(deployment).get("containers"));
        assertThat(containers).as(deployment.name()).isNotEmpty();
        return containers.stream().map(DeploymentManifestsTest::map).toList();
    }

    /** Every env name of the deployment's containers, with the literal value where there is one. */
    private static Map<String, String> env(Doc deployment) {
        Map<String, String> env = new HashMap<>();
        for (Map<String, Object> container : containers(deployment)) {
            for (Object entry : list(container.get("env"))) {
                env.put((String) map(entry).get("name"), (String) map(entry).get("value"));
            }
        }
        return env;
    }

    private static Set<String> kinds(List<Doc> docs) {
        Set<String> kinds = new HashSet<>();
        docs.forEach(d -> kinds.add(d.kind()));
        return kinds;
    }

    /** "TCP/8080" for every port of every rule. */
    private static List<String> ports(Object rules) {
        List<String> ports = new ArrayList<>();
        for (Object rule : list(rules)) {
            for (Object port : list(map(rule).get("ports"))) {
                ports.add(map(port).getOrDefault("protocol", "TCP") + "/"
                        + map(port).get("port"));
            }
        }
        return ports;
    }

    private static Map<String, Object> composeServices() {
        try {
            return map(loadAll(PROJECT.resolve("docker-compose.yml")).getFirst().get("services"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<Path> repositoryYaml() throws IOException {
        Set<String> skipped = Set.of(".git", "target", ".dispatch", "node_modules", ".mvn");
        try (Stream<Path> walk = Files.walk(PROJECT)) {
            return walk.filter(p -> PROJECT.relativize(p).toString().isEmpty()
                            || !skipped.contains(
                                    PROJECT.relativize(p).getName(0).toString()))
                    .filter(p -> p.toString().endsWith(".yaml") || p.toString().endsWith(".yml"))
                    .filter(Files::isRegularFile)
                    .toList();
        }
    }

    private static List<Map<String, Object>> loadAll(Path file) throws IOException {
        Yaml yaml = new Yaml(new SafeConstructor(new LoaderOptions()));
        List<Map<String, Object>> docs = new ArrayList<>();
        for (Object doc : yaml.loadAll(Files.readString(file))) {
            if (doc != null) {
                assertThat(doc).as(file + " document").isInstanceOf(Map.class);
                docs.add(map(doc));
            }
        }
        assertThat(docs).as(file.toString()).isNotEmpty();
        return docs;
    }

    /** The node at the given map keys, or null where a step is missing. */
    private static Object at(Object node, String... path) {
        Object current = node;
        for (String key : path) {
            if (!(current instanceof Map<?, ?> m)) {
                return null;
            }
            current = m.get(key);
        }
        return current;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object node) {
        return node == null ? Map.of() : (Map<String, Object>) node;
    }

    @SuppressWarnings("unchecked")
    private static List<Object> list(Object node) {
        return node == null ? List.of() : (List<Object>) node;
    }
}
