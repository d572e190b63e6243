package dev.dispatch.testing;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;

import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/** Submitting jobs and waiting for them over REST. */
public final class Jobs {
    private Jobs() {}

    /** Submits a job body as an operator of the tenant and returns its id (expects 202). */
    public static String submit(Tenants tenant, Map<String, Object> body) {
        return given().auth()
                .oauth2(tenant.token("dispatch-operator"))
                .contentType(ContentType.JSON)
                .body(body)
                .post("/api/v1/jobs")
                .then()
                .statusCode(202)
                .extract()
                .path("id");
    }

    /** Waits until the job is terminal and returns it. */
    public static JsonPath awaitFinished(Tenants tenant, String jobId) {
        JsonPath[] last = new JsonPath[1];
        await().atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(100))
                .until(() -> {
                    last[0] = given().auth()
                            .oauth2(tenant.token("dispatch-viewer"))
                            .get("/api/v1/jobs/" + jobId)
                            .then()
                            .statusCode(200)
                            .extract()
                            .jsonPath();
                    return List.of("SUCCEEDED", "FAILED", "CANCELLED").contains(last[0].getString("state"));
                });
        return last[0];
    }

    /** The job's runs. */
    public static List<Map<String, Object>> runs(Tenants tenant, String jobId) {
        return given().auth()
                .oauth2(tenant.token("dispatch-viewer"))
                .get("/api/v1/jobs/" + jobId + "/runs")
                .then()
                .statusCode(200)
                .extract()
                .jsonPath()
                .getList("$");
    }

    /** The single run of a one-host job. */
    public static Map<String, Object> onlyRun(Tenants tenant, String jobId) {
        List<Map<String, Object>> runs = runs(tenant, jobId);
        if (runs.size() != 1) {
            throw new AssertionError("expected one run, got " + runs);
        }
        return runs.get(0);
    }

    /** Stored stdout of a run. */
    public static String stdout(Tenants tenant, String jobId, String host) {
        return given().auth()
                .oauth2(tenant.token("dispatch-viewer"))
                .get("/api/v1/jobs/" + jobId + "/runs/" + host + "/output")
                .then()
                .statusCode(200)
                .extract()
                .asString();
    }
}
