package dev.dispatch.testing;

import static io.restassured.RestAssured.given;

import dev.dispatch.tenancy.Roles;
import io.restassured.http.ContentType;
import io.smallrye.jwt.build.Jwt;
import io.smallrye.jwt.build.JwtClaimsBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Consumer;
import org.eclipse.microprofile.config.ConfigProvider;

/** A fresh tenant per test, with tokens signed by the test key and helpers to register fleet hosts over REST. */
public final class Tenants {
    public final String id;

    private Tenants(String id) {
        this.id = id;
    }

    /** A new tenant with a unique id. */
    public static Tenants fresh() {
        return new Tenants("t-" + UUID.randomUUID().toString().substring(0, 12));
    }

    /** A token for this tenant with the given roles. */
    public String token(String... roles) {
        return tokenFor(id, roles);
    }

    /** An admin token for this tenant. */
    public String admin() {
        return token(Roles.ADMIN);
    }

    /** A token for any tenant claim (null for none). */
    public static String tokenFor(String tenant, String... roles) {
        return tokenFor(tenant, claims -> {}, roles);
    }

    /** A token of this tenant whose claims {@code adjust} changes (audience, expiry) before it is signed. */
    public String token(Consumer<JwtClaimsBuilder> adjust, String... roles) {
        return tokenFor(id, adjust, roles);
    }

    private static String tokenFor(String tenant, Consumer<JwtClaimsBuilder> adjust, String... roles) {
        var builder = Jwt.issuer("dispatch")
                .audience("dispatch")
                .subject("test-user")
                .groups(Set.of(roles))
                .expiresIn(3600);
        if (tenant != null) {
            builder.claim("tenant", tenant);
        }
        adjust.accept(builder);
        return builder.sign(signingKey());
    }

    private static PrivateKey signingKey() {
        try {
            String location = ConfigProvider.getConfig().getValue("test.jwt-private-key", String.class);
            String pem = Files.readString(Path.of(location))
                    .replaceAll("-----[A-Z ]+-----", "")
                    .replaceAll("\\s", "");
            return KeyFactory.getInstance("RSA")
                    .generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(pem)));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Stores a credential named {@code key} and registers the given fleet hosts using it, trusting their real keys. */
    public void registerHosts(List<OpenSshHosts.Host> hosts, String privateKey) {
        putCredential("key", privateKey);
        for (OpenSshHosts.Host h : hosts) {
            putHost(h.name(), h.address(), h.port(), "key");
            putKnownHost(h.name(), h.hostKeyLine());
        }
    }

    /** PUT /credentials/{name}. */
    public void putCredential(String name, String privateKey) {
        given().auth()
                .oauth2(admin())
                .contentType(ContentType.JSON)
                .body(Map.of("privateKey", privateKey))
                .put("/api/v1/credentials/" + name)
                .then()
                .statusCode(200);
    }

    /** PUT /hosts/{name} as the fleet user. */
    public void putHost(String name, String address, int port, String credential) {
        given().auth()
                .oauth2(admin())
                .contentType(ContentType.JSON)
                .body(Map.of(
                        "address", address, "port", port, "user", Fleet.get().user(), "credential", credential))
                .put("/api/v1/hosts/" + name)
                .then()
                .statusCode(200);
    }

    /** PUT /known-hosts/{host} with one key. */
    public void putKnownHost(String host, String keyLine) {
        given().auth()
                .oauth2(admin())
                .contentType(ContentType.JSON)
                .body(Map.of("keys", List.of(keyLine)))
                .put("/api/v1/known-hosts/" + host)
                .then()
                .statusCode(200);
    }

    /** Bootstrap servers of the broker the application uses. */
    public static String kafkaBootstrap() {
        return ConfigProvider.getConfig().getValue("kafka.bootstrap.servers", String.class);
    }
}
