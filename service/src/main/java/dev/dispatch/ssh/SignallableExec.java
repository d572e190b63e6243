package dev.dispatch.ssh;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import org.apache.sshd.client.channel.ChannelExec;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.SshConstants;
import org.apache.sshd.common.session.ConnectionService;
import org.apache.sshd.common.util.buffer.Buffer;

/**
 * An exec channel that can signal its remote command (RFC 4254 §6.9) and learn whether the server did: OpenSSH
 * answers a "signal" request with failure where it will not deliver it, notably for root logins, which it serves
 * without privilege separation. MINA has no API for channel request replies, so replies are matched here in
 * request order, which the protocol guarantees. Relies on the exec request itself being sent without want-reply
 * (MINA's default, {@code channel-exec-want-reply=false}).
 */
final class SignallableExec extends ChannelExec {
    private final Queue<CompletableFuture<Boolean>> pendingSignals = new ArrayDeque<>();

    private SignallableExec(String command, Map<String, ?> env) {
        super(command, StandardCharsets.UTF_8, null, env);
    }

    /** Creates the channel on {@code session}, registered but not yet opened. */
    static SignallableExec create(ClientSession session, String command, Map<String, ?> env) throws IOException {
        SignallableExec channel = new SignallableExec(command, env);
        session.getService(ConnectionService.class).registerChannel(channel);
        return channel;
    }

    /**
     * Asks the server to send {@code name} (e.g. "TERM") to the remote command. Completes true when the server
     * confirms, false when it refuses or the request could not be sent; stays incomplete while it does not answer.
     */
    CompletableFuture<Boolean> signal(String name) {
        CompletableFuture<Boolean> reply = new CompletableFuture<>();
        try {
            Buffer buffer = getSession().createBuffer(SshConstants.SSH_MSG_CHANNEL_REQUEST, 32);
            buffer.putUInt(getRecipient());
            buffer.putString("signal");
            buffer.putBoolean(true);
            buffer.putString(name);
            synchronized (pendingSignals) {
                pendingSignals.add(reply);
                writePacket(buffer);
            }
        } catch (IOException | RuntimeException e) {
            synchronized (pendingSignals) {
                pendingSignals.remove(reply);
            }
            reply.complete(false);
        }
        return reply;
    }

    @Override
    public void handleSuccess() throws IOException {
        if (!answer(true)) {
            super.handleSuccess();
        }
    }

    @Override
    public void handleFailure() throws IOException {
        if (!answer(false)) {
            super.handleFailure();
        }
    }

    private boolean answer(boolean delivered) {
        CompletableFuture<Boolean> reply;
        synchronized (pendingSignals) {
            reply = pendingSignals.poll();
        }
        if (reply == null) {
            return false;
        }
        reply.complete(delivered);
        return true;
    }
}
