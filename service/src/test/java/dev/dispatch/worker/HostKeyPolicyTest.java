package dev.dispatch.worker;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import dev.dispatch.inventory.InventoryService;
import dev.dispatch.ssh.SshKeys;
import dev.dispatch.tenancy.Caller;
import dev.dispatch.testing.CustomSshd;
import dev.dispatch.testing.Fleet;
import dev.dispatch.testing.Jobs;
import dev.dispatch.testing.OpenSshHosts;
import dev.dispatch.testing.Tenants;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.ValidatableResponse;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

@QuarkusTest
class HostKeyPolicyTest {
    private static CustomSshd other;
    private static CustomSshd certified;
    private static CustomSshd misnamed;
    private static CustomSshd.Authority authority;
    private static CustomSshd.Authority strangeAuthority;

    @Inject
    InventoryService inventory;

    @BeforeAll
    static void startDaemons() throws Exception {
        Path dir = Files.createTempDirectory("dispatch-hostkeys");
        authority = CustomSshd.Authority.create(dir.resolve("ca"), "ca");
        strangeAuthority = CustomSshd.Authority.create(dir.resolve("ca"), "strange-ca");
        other = CustomSshd.start(
                dir.resolve("other"), "127.0.3.1", Fleet.get().userPrivateKey(), null, List.of(), List.of());
        certified = CustomSshd.start(
                dir.resolve("certified"),
                "127.0.3.2",
                Fleet.get().userPrivateKey(),
                authority,
                List.of("127.0.3.2", "certified.dispatch.test"),
                List.of());
        misnamed = CustomSshd.start(
                dir.resolve("misnamed"),
                "127.0.3.3",
                Fleet.get().userPrivateKey(),
                authority,
                List.of("elsewhere.dispatch.test"),
                List.of());
    }

    @AfterAll
    static void stopDaemons() {
        if (other != null) {
            other.close();
        }
        if (certified != null) {
            certified.close();
        }
        if (misnamed != null) {
            misnamed.close();
        }
    }

    @Test
    void acceptNewStoresTheFirstKeyAndRejectsAChangedOne() {
        Tenants tenant = Tenants.fresh();
        OpenSshHosts.Host host = Fleet.get().hosts().get(2);
        tenant.putCredential("key", Fleet.get().userPrivateKey());
        putHost(tenant, "web", host.address(), host.port(), Map.of("hostKeyPolicy", "accept-new"))
                .statusCode(200);

        assertThat(runState(tenant, "web")).isEqualTo("SUCCEEDED");
        List<Map<String, Object>> keys = given().auth()
                .oauth2(tenant.token("dispatch-viewer"))
                .get("/api/v1/known-hosts/web")
                .then()
                .statusCode(200)
                .extract()
                .jsonPath()
                .getList("keys");
        assertThat(keys).hasSize(1);
        assertThat(keys.get(0)).containsEntry("publicKey", host.hostKeyLine());
        String fingerprint = (String) keys.get(0).get("fingerprint");
        List<Map<String, Object>> accepted = audit(tenant, "known-host.accepted");
        assertThat(accepted).hasSize(1);
        assertThat(accepted.get(0)).containsEntry("actor", "test-user").containsEntry("target", "host/web");
        assertThat((Map<String, Object>) accepted.get(0).get("details")).containsEntry("fingerprint", fingerprint);

        assertThat(runState(tenant, "web")).isEqualTo("SUCCEEDED");
        assertThat(audit(tenant, "known-host.accepted")).hasSize(1);

        putHost(tenant, "web", other.address(), other.port(), Map.of("hostKeyPolicy", "accept-new"))
                .statusCode(200);
        String jobId = submit(tenant, "web");
        assertThat(Jobs.awaitFinished(tenant, jobId).getString("state")).isEqualTo("FAILED");
        Map<String, Object> run = Jobs.onlyRun(tenant, jobId);
        assertThat(run).containsEntry("state", "HOST_KEY_REJECTED");
        assertThat((String) run.get("error")).contains("does not match its known keys");
        assertThat(given().auth()
                        .oauth2(tenant.token("dispatch-viewer"))
                        .get("/api/v1/known-hosts/web")
                        .then()
                        .extract()
                        .jsonPath()
                        .getList("keys"))
                .hasSize(1);
        List<Map<String, Object>> rejected = audit(tenant, "host-key.rejected");
        assertThat(rejected).hasSize(1);
        assertThat(rejected.get(0)).containsEntry("actor", "test-user").containsEntry("outcome", "rejected");
    }

    @Test
    void concurrentFirstContactsStoreOneKey() throws Exception {
        Tenants tenant = Tenants.fresh();
        Caller actor = new Caller(tenant.id, "system", Set.of(), "worker");
        String key = Fleet.get().hosts().get(0).hostKeyLine();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Callable<Boolean>> calls = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                calls.add(() -> inventory.acceptFirstHostKey(actor, "db", key));
            }
            for (Future<Boolean> f : pool.invokeAll(calls)) {
                assertThat(f.get()).isTrue();
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(inventory.knownHosts(tenant.id, "db")).hasSize(1);
        assertThat(audit(tenant, "known-host.accepted")).hasSize(1);
        assertThat(inventory.acceptFirstHostKey(actor, "db", Fleet.get().foreignHostKeyLine()))
                .isFalse();
        assertThat(inventory.knownHosts(tenant.id, "db")).hasSize(1);
    }

    /**
     * An admin replaces a host's keys while a first contact under accept-new stores the key it was shown (maybe an
     * attacker's). Before, the replace did not take the per-host lock, and both keys could end up trusted.
     */
    @Test
    void aFirstContactRacingAnAdminReplaceLeavesOnlyTheAdminsKey() throws Exception {
        Tenants tenant = Tenants.fresh();
        Caller worker = new Caller(tenant.id, "system", Set.of(), "worker");
        Caller admin = new Caller(tenant.id, "admin", Set.of("dispatch-admin"), "rest");
        String adminKey = Fleet.get().hosts().get(0).hostKeyLine();
        String presented = Fleet.get().foreignHostKeyLine();
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            for (int i = 0; i < 60; i++) {
                String host = "race-" + i;
                CyclicBarrier start = new CyclicBarrier(2);
                Future<?> contact = pool.submit(() -> {
                    start.await();
                    return inventory.acceptFirstHostKey(worker, host, presented);
                });
                Future<?> replace = pool.submit(() -> {
                    start.await();
                    return inventory.putKnownHosts(admin, host, List.of(adminKey));
                });
                contact.get();
                replace.get();
                assertThat(inventory.knownHosts(tenant.id, host))
                        .as(host)
                        .singleElement()
                        .satisfies(k -> assertThat(adminKey).contains(k.publicKey));
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void offNeedsTheAdminsPermissionAndEveryUseIsAudited() {
        Tenants tenant = Tenants.fresh();
        OpenSshHosts.Host host = Fleet.get().hosts().get(3);
        tenant.putCredential("key", Fleet.get().userPrivateKey());
        putHost(tenant, "loose", host.address(), host.port(), Map.of("hostKeyPolicy", "off"))
                .statusCode(400)
                .body("type", org.hamcrest.Matchers.endsWith("/validation"))
                .body("errors[0].field", org.hamcrest.Matchers.equalTo("hostKeyPolicy"));
        given().auth()
                .oauth2(tenant.admin())
                .contentType(ContentType.JSON)
                .body(Map.of("hostKeyPolicy", "off"))
                .put("/api/v1/tenant")
                .then()
                .statusCode(400)
                .body("errors[0].field", org.hamcrest.Matchers.equalTo("hostKeyPolicy"));
        given().auth()
                .oauth2(tenant.token("dispatch-operator"))
                .contentType(ContentType.JSON)
                .body(Map.of("allowHostKeyPolicyOff", true))
                .put("/api/v1/tenant")
                .then()
                .statusCode(403);

        given().auth()
                .oauth2(tenant.admin())
                .contentType(ContentType.JSON)
                .body(Map.of("allowHostKeyPolicyOff", true))
                .put("/api/v1/tenant")
                .then()
                .statusCode(200)
                .body("allowHostKeyPolicyOff", org.hamcrest.Matchers.equalTo(true))
                .body("hostKeyPolicy", org.hamcrest.Matchers.equalTo("strict"));
        putHost(tenant, "loose", host.address(), host.port(), Map.of("hostKeyPolicy", "off"))
                .statusCode(200);
        assertThat(runState(tenant, "loose")).isEqualTo("SUCCEEDED");
        assertThat(runState(tenant, "loose")).isEqualTo("SUCCEEDED");
        List<Map<String, Object>> unverified = audit(tenant, "host-key.unverified");
        assertThat(unverified).hasSize(2);
        assertThat((Map<String, Object>) unverified.get(0).get("details"))
                .containsEntry("fingerprint", fingerprintOf(host.hostKeyLine()));
        assertThat(given().auth()
                        .oauth2(tenant.token("dispatch-viewer"))
                        .get("/api/v1/known-hosts/loose")
                        .then()
                        .extract()
                        .jsonPath()
                        .getList("keys"))
                .isEmpty();

        given().auth()
                .oauth2(tenant.admin())
                .contentType(ContentType.JSON)
                .body(Map.of("allowHostKeyPolicyOff", false))
                .put("/api/v1/tenant")
                .then()
                .statusCode(200);
        given().auth()
                .oauth2(tenant.token("dispatch-viewer"))
                .get("/api/v1/tenant")
                .then()
                .statusCode(200)
                .body("allowHostKeyPolicyOff", org.hamcrest.Matchers.equalTo(false));
        String jobId = submit(tenant, "loose");
        Jobs.awaitFinished(tenant, jobId);
        Map<String, Object> run = Jobs.onlyRun(tenant, jobId);
        assertThat(run).containsEntry("state", "HOST_KEY_REJECTED");
        assertThat((String) run.get("error")).contains("allowHostKeyPolicyOff");
        assertThat(audit(tenant, "host-key.unverified")).hasSize(2);
        assertThat(audit(tenant, "host-key.rejected")).hasSize(1);
        List<Map<String, Object>> changes = audit(tenant, "tenant.update");
        assertThat(changes).hasSize(2);
        assertThat((Map<String, Object>) changes.get(0).get("details"))
                .containsEntry("hostsNowRejected", List.of("loose"));
    }

    @Test
    void tenantDefaultAppliesWhereTheHostSetsNoPolicy() {
        Tenants tenant = Tenants.fresh();
        OpenSshHosts.Host host = Fleet.get().hosts().get(4);
        tenant.putCredential("key", Fleet.get().userPrivateKey());
        putHost(tenant, "plain", host.address(), host.port(), Map.of()).statusCode(200);
        assertThat(runState(tenant, "plain")).isEqualTo("HOST_KEY_REJECTED");

        given().auth()
                .oauth2(tenant.admin())
                .contentType(ContentType.JSON)
                .body(Map.of("hostKeyPolicy", "accept-new"))
                .put("/api/v1/tenant")
                .then()
                .statusCode(200);
        assertThat(runState(tenant, "plain")).isEqualTo("SUCCEEDED");
        assertThat(audit(tenant, "known-host.accepted")).hasSize(1);

        putHost(tenant, "pinned", host.address(), host.port(), Map.of("hostKeyPolicy", "strict"))
                .statusCode(200);
        assertThat(runState(tenant, "pinned")).isEqualTo("HOST_KEY_REJECTED");
    }

    @Test
    void hashedAndBracketedKnownHostsLinesAreTrusted() throws Exception {
        Tenants tenant = Tenants.fresh();
        OpenSshHosts.Host host = Fleet.get().hosts().get(5);
        tenant.putCredential("key", Fleet.get().userPrivateKey());
        putHost(tenant, "hashed", host.address(), host.port(), Map.of()).statusCode(200);
        putHost(tenant, "bracketed", host.address(), host.port(), Map.of()).statusCode(200);
        putHost(tenant, "wrong", host.address(), host.port(), Map.of()).statusCode(200);
        String pattern = "[" + host.address() + "]:" + host.port();
        putKnownHostsText(
                tenant, "hashed", "# from ssh-keygen -H\n" + hashed(pattern) + " " + host.hostKeyLine() + "\n");
        putKnownHostsText(tenant, "bracketed", pattern + "," + host.address() + " " + host.hostKeyLine() + " c\n");
        putKnownHostsText(tenant, "wrong", hashed(pattern) + " " + Fleet.get().foreignHostKeyLine() + "\n");

        assertThat(runState(tenant, "hashed")).isEqualTo("SUCCEEDED");
        assertThat(runState(tenant, "bracketed")).isEqualTo("SUCCEEDED");
        assertThat(runState(tenant, "wrong")).isEqualTo("HOST_KEY_REJECTED");
    }

    @Test
    void hostCertificatesSignedByATrustedAuthorityAreAccepted() {
        Tenants tenant = Tenants.fresh();
        tenant.putCredential("key", Fleet.get().userPrivateKey());
        putHost(tenant, "signed", certified.address(), certified.port(), Map.of())
                .statusCode(200);
        putHost(tenant, "stranger", certified.address(), certified.port(), Map.of())
                .statusCode(200);
        putHost(tenant, "revoked", certified.address(), certified.port(), Map.of())
                .statusCode(200);
        putKnownHostsText(
                tenant, "signed", "@cert-authority *.dispatch.test,127.0.3.* " + authority.publicKeyLine() + "\n");
        putKnownHostsText(tenant, "stranger", "@cert-authority * " + strangeAuthority.publicKeyLine() + "\n");
        putKnownHostsText(
                tenant,
                "revoked",
                "@cert-authority * " + authority.publicKeyLine() + "\n@revoked * " + certified.hostKeyLine() + "\n");
        given().auth()
                .oauth2(tenant.token("dispatch-viewer"))
                .get("/api/v1/known-hosts/signed")
                .then()
                .body("keys[0].marker", org.hamcrest.Matchers.equalTo("cert-authority"));

        assertThat(runState(tenant, "signed")).isEqualTo("SUCCEEDED");
        assertThat(runState(tenant, "stranger")).isEqualTo("HOST_KEY_REJECTED");
        assertThat(runState(tenant, "revoked")).isEqualTo("HOST_KEY_REJECTED");
    }

    @Test
    void aCertificateForAnotherNameFallsBackToThePlainKey() {
        Tenants tenant = Tenants.fresh();
        tenant.putCredential("key", Fleet.get().userPrivateKey());
        putHost(tenant, "ca-only", misnamed.address(), misnamed.port(), Map.of())
                .statusCode(200);
        putHost(tenant, "pinned", misnamed.address(), misnamed.port(), Map.of()).statusCode(200);
        putKnownHostsText(tenant, "ca-only", "@cert-authority * " + authority.publicKeyLine() + "\n");
        putKnownHostsText(tenant, "pinned", misnamed.address() + " " + misnamed.hostKeyLine() + "\n");

        String jobId = submit(tenant, "ca-only");
        Jobs.awaitFinished(tenant, jobId);
        Map<String, Object> run = Jobs.onlyRun(tenant, jobId);
        assertThat(run).containsEntry("state", "HOST_KEY_REJECTED");
        assertThat((String) run.get("error")).contains(fingerprintOf(misnamed.hostKeyLine()));
        assertThat(runState(tenant, "pinned")).isEqualTo("SUCCEEDED");
    }

    private static ValidatableResponse putHost(
            Tenants tenant, String name, String address, int port, Map<String, Object> extra) {
        Map<String, Object> body = new HashMap<>(
                Map.of("address", address, "port", port, "user", Fleet.get().user(), "credential", "key"));
        body.putAll(extra);
        return given().auth()
                .oauth2(tenant.admin())
                .contentType(ContentType.JSON)
                .body(body)
                .put("/api/v1/hosts/" + name)
                .then();
    }

    private static void putKnownHostsText(Tenants tenant, String host, String text) {
        given().auth()
                .oauth2(tenant.admin())
                .contentType(ContentType.TEXT)
                .body(text)
                .put("/api/v1/known-hosts/" + host)
                .then()
                .statusCode(200);
    }

    private static String submit(Tenants tenant, String host) {
        return Jobs.submit(
                tenant, Map.of("kind", "exec", "targets", Map.of("hosts", List.of(host)), "command", "echo ok"));
    }

    private static String runState(Tenants tenant, String host) {
        String jobId = submit(tenant, host);
        Jobs.awaitFinished(tenant, jobId);
        return (String) Jobs.onlyRun(tenant, jobId).get("state");
    }

    static List<Map<String, Object>> audit(Tenants tenant, String action) {
        return given().auth()
                .oauth2(tenant.token("dispatch-viewer"))
                .queryParam("action", action)
                .get("/api/v1/audit")
                .then()
                .statusCode(200)
                .extract()
                .jsonPath()
                .getList("items");
    }

    private static String hashed(String hostPattern) throws Exception {
        byte[] salt = new byte[20];
        new SecureRandom().nextBytes(salt);
        Mac mac = Mac.getInstance("HmacSHA1");
        mac.init(new SecretKeySpec(salt, "HmacSHA1"));
        byte[] hash = mac.doFinal(hostPattern.getBytes(StandardCharsets.UTF_8));
        return "|1|" + Base64.getEncoder().encodeToString(salt) + "|"
                + Base64.getEncoder().encodeToString(hash);
    }

    private static String fingerprintOf(String keyLine) {
        return SshKeys.parseHostKeys(List.of(keyLine)).get(0).fingerprint();
    }
}
