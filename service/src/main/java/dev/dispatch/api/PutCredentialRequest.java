package dev.dispatch.api;

/** Body of {@code PUT /credentials/{name}}: write-only key material. {@link #toString()} hides it. */
public record PutCredentialRequest(String privateKey, String passphrase) {
    @Override
    public String toString() {
        return "PutCredentialRequest[privateKey=***, passphrase=***]";
    }
}
