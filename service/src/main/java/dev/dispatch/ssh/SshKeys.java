package dev.dispatch.ssh;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.sshd.client.config.hosts.KnownHostEntry;
import org.apache.sshd.common.NamedResource;
import org.apache.sshd.common.config.keys.AuthorizedKeyEntry;
import org.apache.sshd.common.config.keys.FilePasswordProvider;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.apache.sshd.common.config.keys.PublicKeyEntryResolver;
import org.apache.sshd.common.util.security.SecurityUtils;

/**
 * Parses OpenSSH/PEM private keys and known_hosts lines with MINA SSHD's own parsers, exposing only plain values
 * so that MINA types stay inside this package. Decoded key pairs are cached by content digest (thread-safe).
 */
public final class SshKeys {
    private static final int CACHE_SIZE = 1024;
    private static final Map<String, KeyPair> CACHE = new LinkedHashMap<>(64, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, KeyPair> eldest) {
            return size() > CACHE_SIZE;
        }
    };

    /** A parsed private key's public facts. */
    public record KeyInfo(String type, String fingerprint, String publicKey) {}

    /**
     * A parsed host key.
     *
     * @param marker null, {@code revoked} or {@code cert-authority}
     * @param publicKey normalised {@code "type base64"} form
     */
    public record HostKey(String marker, String type, String publicKey, String fingerprint) {}

    private SshKeys() {}

    /** Parses a private key (OpenSSH or PEM, optionally encrypted) and describes its public half. */
    public static KeyInfo describePrivateKey(String text, String passphrase) {
        KeyPair pair = decode(text, passphrase);
        PublicKey pub = pair.getPublic();
        return new KeyInfo(KeyUtils.getKeyType(pub), KeyUtils.getFingerPrint(pub), PublicKeyEntry.toString(pub));
    }

    /** The decoded key pair, from cache when the same text and passphrase were decoded before. */
    static KeyPair keyPair(String text, String passphrase) {
        String digest = digest(text, passphrase);
        synchronized (CACHE) {
            KeyPair cached = CACHE.get(digest);
            if (cached != null) {
                return cached;
            }
        }
        KeyPair pair = decode(text, passphrase);
        synchronized (CACHE) {
            CACHE.put(digest, pair);
        }
        return pair;
    }

    private static KeyPair decode(String text, String passphrase) {
        if (text == null || text.isBlank()) {
            throw new InvalidKeyMaterialException("private key is empty");
        }
        try {
            Iterable<KeyPair> pairs = SecurityUtils.loadKeyPairIdentities(
                    null,
                    NamedResource.ofName("credential"),
                    new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)),
                    passphrase == null ? FilePasswordProvider.EMPTY : FilePasswordProvider.of(passphrase));
            Iterator<KeyPair> it = pairs == null ? null : pairs.iterator();
            if (it == null || !it.hasNext()) {
                throw new InvalidKeyMaterialException("no private key found in the given text");
            }
            return it.next();
        } catch (InvalidKeyMaterialException e) {
            throw e;
        } catch (Exception e) {
            throw new InvalidKeyMaterialException(
                    passphrase == null
                            ? "private key cannot be decoded (unsupported format, or encrypted and no passphrase given)"
                            : "private key cannot be decoded with the given passphrase");
        }
    }

    /**
     * Parses host keys given as bare public keys ({@code "ssh-ed25519 AAAA..."}) or as OpenSSH known_hosts lines
     * (host patterns, hashed hosts, {@code [host]:port}, {@code @revoked}, {@code @cert-authority}); blank lines and
     * comments are skipped. The host part of a known_hosts line is ignored: keys belong to the inventory host.
     */
    public static List<HostKey> parseHostKeys(List<String> lines) {
        List<HostKey> keys = new ArrayList<>();
        int number = 0;
        for (String raw : lines) {
            for (String line : raw.split("\\R")) {
                number++;
                String trimmed = line.strip();
                if (trimmed.isEmpty() || trimmed.startsWith("#")) {
                    continue;
                }
                keys.add(parseHostKey(trimmed, number));
            }
        }
        return keys;
    }

    private static HostKey parseHostKey(String line, int number) {
        try {
            String marker = null;
            AuthorizedKeyEntry entry;
            if (looksLikeKnownHostsLine(line)) {
                KnownHostEntry known = KnownHostEntry.parseKnownHostEntry(line);
                if (known == null || known.getKeyEntry() == null) {
                    throw new IllegalArgumentException("no key");
                }
                entry = known.getKeyEntry();
                marker = known.getMarker();
                if (marker != null) {
                    marker = marker.startsWith("@") ? marker.substring(1) : marker;
                    if (!marker.equals("revoked") && !marker.equals("cert-authority")) {
                        throw new IllegalArgumentException("unknown marker");
                    }
                }
            } else {
                entry = AuthorizedKeyEntry.parseAuthorizedKeyEntry(line);
            }
            PublicKey key = entry.resolvePublicKey(null, PublicKeyEntryResolver.FAILING);
            return new HostKey(
                    marker, KeyUtils.getKeyType(key), PublicKeyEntry.toString(key), KeyUtils.getFingerPrint(key));
        } catch (Exception e) {
            throw new InvalidKeyMaterialException("line " + number + " is not a public key or known_hosts line");
        }
    }

    private static boolean looksLikeKnownHostsLine(String line) {
        if (line.startsWith("@") || line.startsWith("|")) {
            return true;
        }
        String[] tokens = line.split("\\s+");
        return tokens.length >= 3
                && KeyUtils.getPublicKeyEntryDecoder(tokens[0]) == null
                && KeyUtils.getPublicKeyEntryDecoder(tokens[1]) != null;
    }

    /** {@code "type base64"} form of a public key, as stored in trusted key lists. */
    static String toOpenSsh(PublicKey key) {
        return PublicKeyEntry.toString(key);
    }

    /** SHA-256 fingerprint ({@code SHA256:...}) of a public key. */
    static String fingerprint(PublicKey key) {
        return KeyUtils.getFingerPrint(key);
    }

    /** Stable digest of a credential, for pool keys and caches (never logged with the material). */
    static String digest(String... parts) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            for (String part : parts) {
                md.update(part == null ? new byte[] {0} : part.getBytes(StandardCharsets.UTF_8));
                md.update((byte) 0x1f);
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
