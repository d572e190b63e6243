package dev.dispatch.ssh;

import java.time.Duration;
import java.util.Map;

/**
 * A command to run: its text, optional stdin (then EOF), environment, and the time it may take.
 *
 * @param input bytes sent to stdin before EOF; empty for none
 */
public record ExecSpec(String command, byte[] input, Map<String, String> env, Duration timeout) {}
