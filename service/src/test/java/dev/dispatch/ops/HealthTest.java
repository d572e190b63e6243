package dev.dispatch.ops;

import static dev.dispatch.testing.Management.request;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

@QuarkusTest
class HealthTest {
    private static final String DATABASE_CHECK = "Database connections health check";
    private static final String MESSAGING_READINESS_CHECK = "SmallRye Reactive Messaging - readiness check";

    @Test
    void probesAnswerUpWithoutATokenWhenPostgresAndKafkaAreUp() {
        for (String probe : List.of("/q/health/live", "/q/health/ready", "/q/health/started")) {
            request().get(probe).then().statusCode(200);
            assertThat(health(probe).getString("status")).as(probe).isEqualTo("UP");
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void readinessChecksPostgresAndEveryKafkaChannel() {
        JsonPath ready = health("/q/health/ready");

        assertThat(checkNames(ready)).contains(DATABASE_CHECK, MESSAGING_READINESS_CHECK);
        assertThat(check(ready, DATABASE_CHECK)).containsEntry("status", "UP");
        Map<String, Object> messaging = check(ready, MESSAGING_READINESS_CHECK);
        assertThat(messaging).containsEntry("status", "UP");
        assertThat((Map<String, Object>) messaging.get("data"))
                .containsKeys("job-output", "host-results", "job-events");
    }

    @Test
    void healthAndMetricsAreNotServedOnTheApiPort() {
        for (String path : List.of("/q/health/ready", "/q/health/live", "/q/metrics")) {
            given().get(path).then().statusCode(404);
        }
        given().get("/q/openapi").then().statusCode(200);
    }

    @Test
    void livenessAndStartupDependOnNeitherPostgresNorKafka() {
        for (String probe : List.of("/q/health/live", "/q/health/started")) {
            // kafka-intake is the one exception by design: it reports a dead intake consumer, not the broker's reach
            // (KafkaIntakeTest holds it UP through a 65 s database outage; the chaos broker-down row through the
            // broker's).
            assertThat(checkNames(health(probe)))
                    .as(probe)
                    .filteredOn(name -> !name.equals("kafka-intake"))
                    .noneMatch(name -> name.matches("(?i).*(database|datasource|postgres|kafka|messaging).*"));
        }
        assertThat(check(health("/q/health/live"), "kafka-intake")).containsEntry("status", "UP");
    }

    private static JsonPath health(String path) {
        return request().get(path).then().extract().jsonPath();
    }

    private static List<String> checkNames(JsonPath health) {
        return health.getList("checks.name", String.class);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> check(JsonPath health, String name) {
        List<Map<String, Object>> checks = health.getList("checks");
        return checks.stream()
                .filter(c -> name.equals(c.get("name")))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no check named " + name + " in " + checks));
    }
}
