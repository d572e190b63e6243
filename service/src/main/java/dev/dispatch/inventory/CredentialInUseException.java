package dev.dispatch.inventory;

import java.util.List;

/** A credential cannot be deleted while hosts still log in with it. */
public class CredentialInUseException extends RuntimeException {
    private final String credential;
    private final transient List<String> hosts;

    public CredentialInUseException(String credential, List<String> hosts) {
        super("credential " + credential + " is used by host(s) " + String.join(", ", hosts));
        this.credential = credential;
        this.hosts = List.copyOf(hosts);
    }

    /** The credential's name. */
    public String credential() {
        return credential;
    }

    /** Names of the hosts that refer to it, sorted. */
    public List<String> hosts() {
        return hosts;
    }
}
