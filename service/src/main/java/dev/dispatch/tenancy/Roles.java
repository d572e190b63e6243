package dev.dispatch.tenancy;

/** Role names carried in the token's {@code groups} claim. Each role includes the rights of the ones before it. */
public final class Roles {
    /** Read jobs, runs, output, inventory. */
    public static final String VIEWER = "dispatch-viewer";
    /** Viewer plus submit, cancel, retry. */
    public static final String OPERATOR = "dispatch-operator";
    /** Operator plus inventory, credentials and known hosts. */
    public static final String ADMIN = "dispatch-admin";

    private Roles() {}
}
