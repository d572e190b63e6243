package dev.dispatch.ssh;

/** Text that is not an ssh_config file this service can read; the message says where and why. */
public class InvalidSshConfigException extends RuntimeException {
    public InvalidSshConfigException(String message) {
        super(message);
    }
}
