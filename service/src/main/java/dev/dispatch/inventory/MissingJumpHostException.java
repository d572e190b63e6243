package dev.dispatch.inventory;

/** A host names a jump host that is no longer in the inventory, so it cannot be reached. */
public class MissingJumpHostException extends RuntimeException {
    public MissingJumpHostException(String host, String jump) {
        super("host " + host + " names jump host " + jump + ", which is no longer in the inventory");
    }
}
