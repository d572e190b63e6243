package dev.dispatch.ssh;

/** Key text that cannot be parsed (or decrypted with the given passphrase). The message never contains the key. */
public class InvalidKeyMaterialException extends RuntimeException {
    public InvalidKeyMaterialException(String message) {
        super(message);
    }
}
