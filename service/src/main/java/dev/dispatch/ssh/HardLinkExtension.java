package dev.dispatch.ssh;

import java.io.IOException;
import org.apache.sshd.common.util.buffer.Buffer;
import org.apache.sshd.sftp.client.RawSftpClient;
import org.apache.sshd.sftp.client.SftpClient;
import org.apache.sshd.sftp.client.extensions.helpers.AbstractSftpClientExtension;

/**
 * OpenSSH's {@code hardlink@openssh.com} SFTP extension, which MINA's client does not offer: lets a backup keep the
 * old file while the new one replaces it atomically, so the target path never goes missing.
 */
final class HardLinkExtension extends AbstractSftpClientExtension {
    static final String NAME = "hardlink@openssh.com";

    private HardLinkExtension(SftpClient client, RawSftpClient raw) {
        super(NAME, client, raw, client.getServerExtensions());
    }

    /** The extension for this client, or null when the server does not offer it. */
    static HardLinkExtension of(SftpClient client) {
        if (client instanceof RawSftpClient raw) {
            HardLinkExtension extension = new HardLinkExtension(client, raw);
            return extension.isSupported() ? extension : null;
        }
        return null;
    }

    /** Creates {@code newPath} as a second name of {@code existingPath}; fails if {@code newPath} exists. */
    void link(String existingPath, String newPath) throws IOException {
        Buffer buffer = getCommandBuffer(existingPath.length() + newPath.length() + 2 * Integer.BYTES);
        putTarget(buffer, existingPath);
        putTarget(buffer, newPath);
        sendAndCheckExtendedCommandStatus(buffer);
    }
}
