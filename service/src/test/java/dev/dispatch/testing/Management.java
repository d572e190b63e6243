package dev.dispatch.testing;

import static io.restassured.RestAssured.given;

import io.restassured.specification.RequestSpecification;
import org.eclipse.microprofile.config.ConfigProvider;

/** Requests to the management interface (health, metrics) of the application under {@code @QuarkusTest}. */
public final class Management {
    private Management() {}

    /** The port the management interface listens on in this test run (random: {@code test-port=0}). */
    public static int port() {
        String actual = System.getProperty("quarkus.management.test-port");
        if (actual != null && !actual.equals("0")) {
            return Integer.parseInt(actual);
        }
        return ConfigProvider.getConfig().getValue("quarkus.management.port", Integer.class);
    }

    /** A RestAssured request aimed at the management interface. */
    public static RequestSpecification request() {
        return given().port(port());
    }
}
