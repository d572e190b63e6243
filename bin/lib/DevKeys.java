import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;

/**
 * Local-install key tool, run as a single-file program with any JDK >= 21 (no openssl needed):
 * {@code java DevKeys.java init DIR} creates, once per install, the JWT signing key pair, the credential encryption
 * key and the audit HMAC key; {@code java DevKeys.java token DIR TENANT ROLE... } prints a bearer token signed with that key (valid 30 days).
 */
public class DevKeys {
    public static void main(String[] args) throws Exception {
        if (args.length < 2) {
            System.err.println("usage: DevKeys init DIR | DevKeys token DIR TENANT ROLE...");
            System.exit(2);
        }
        Path dir = Path.of(args[1]);
        switch (args[0]) {
            case "init" -> init(dir);
            case "token" -> System.out.println(token(dir, args[2], java.util.Arrays.copyOfRange(args, 3, args.length)));
            default -> {
                System.err.println("unknown command " + args[0]);
                System.exit(2);
            }
        }
    }

    static void init(Path dir) throws Exception {
        Files.createDirectories(dir);
        Path priv = dir.resolve("jwt-private.pem");
        if (!Files.exists(priv)) {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
            generator.initialize(2048);
            KeyPair pair = generator.generateKeyPair();
            writeSecret(priv, pem("PRIVATE KEY", pair.getPrivate().getEncoded()));
            Files.writeString(dir.resolve("jwt-public.pem"), pem("PUBLIC KEY", pair.getPublic().getEncoded()));
        }
        for (String name : new String[] {"credentials.key", "audit-hmac.key"}) {
            Path file = dir.resolve(name);
            if (!Files.exists(file)) {
                byte[] key = new byte[32];
                new SecureRandom().nextBytes(key);
                writeSecret(file, Base64.getEncoder().encodeToString(key));
            }
        }
    }

    static String token(Path dir, String tenant, String[] roles) throws Exception {
        String pem = Files.readString(dir.resolve("jwt-private.pem")).replaceAll("-----[A-Z ]+-----", "")
                .replaceAll("\\s", "");
        PrivateKey key = KeyFactory.getInstance("RSA")
                .generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(pem)));
        long now = System.currentTimeMillis() / 1000;
        StringBuilder groups = new StringBuilder();
        for (String role : roles) {
            groups.append(groups.isEmpty() ? "" : ",").append('"').append(role).append('"');
        }
        String header = "{\"alg\":\"RS256\",\"typ\":\"JWT\"}";
        String claims = "{\"iss\":\"dispatch\",\"aud\":\"dispatch\",\"sub\":\"local-admin\",\"upn\":\"local-admin\",\"tenant\":\"" + tenant
                + "\",\"groups\":[" + groups + "],\"iat\":" + now + ",\"exp\":" + (now + 30L * 24 * 3600) + "}";
        String unsigned = b64(header.getBytes(StandardCharsets.UTF_8)) + "." + b64(claims.getBytes(StandardCharsets.UTF_8));
        Signature signature = Signature.getInstance("SHA256withRSA");
        signature.initSign(key);
        signature.update(unsigned.getBytes(StandardCharsets.US_ASCII));
        return unsigned + "." + b64(signature.sign());
    }

    private static void writeSecret(Path file, String content) throws Exception {
        Files.writeString(file, content);
        try {
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        } catch (UnsupportedOperationException e) {
            // non-POSIX file system: permissions are left as created
        }
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

    private static String b64(byte[] bytes) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }
}
