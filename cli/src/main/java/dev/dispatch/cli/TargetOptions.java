package dev.dispatch.cli;

import dev.dispatch.client.DispatchClient;
import dev.dispatch.client.Host;
import dev.dispatch.client.JobSpec;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Option;

/** Which hosts a job runs on: {@code -H}, {@code -g}, {@code -l}, {@code --all}, minus {@code -x}. */
final class TargetOptions {
    @Option(
            names = {"-H", "--hosts"},
            paramLabel = "LIST",
            description = "Inventory hosts; pdsh ranges allowed: web[01-20],db[1-3]. Repeatable.")
    List<String> hosts = new ArrayList<>();

    @Option(
            names = {"-g", "--host-group"},
            paramLabel = "GROUP",
            description = "Hosts of an inventory group. Repeatable.")
    List<String> groups = new ArrayList<>();

    @Option(
            names = {"-l", "--label"},
            paramLabel = "KEY=VALUE",
            description = "Hosts with this label (all given labels must match). Repeatable.")
    Map<String, String> labels = new LinkedHashMap<>();

    @Option(names = "--all", description = "Every host of the inventory.")
    boolean all;

    @Option(
            names = {"-x", "--exclude"},
            paramLabel = "LIST",
            description = "Leave out these hosts (ranges allowed). Repeatable.")
    List<String> exclude = new ArrayList<>();

    /**
     * The job's targets. With {@code --all} or {@code -x} the inventory is read and the selection resolved here, so
     * the job names its hosts; otherwise the server resolves groups and labels.
     */
    JobSpec.Targets resolve(DispatchClient client) {
        List<String> names = new ArrayList<>();
        for (String h : hosts) {
            names.addAll(HostList.expand(h));
        }
        boolean resolveHere = all || !exclude.isEmpty();
        if (!all && names.isEmpty() && groups.isEmpty() && labels.isEmpty()) {
            throw new IllegalArgumentException("no targets: give -H, -g, -l or --all");
        }
        if (!resolveHere) {
            return new JobSpec.Targets(names, groups, labels, List.of());
        }
        if (all || !groups.isEmpty() || !labels.isEmpty()) {
            for (Host h : client.hosts()) {
                boolean inGroup = groups.isEmpty()
                        || (h.groups() != null && h.groups().stream().anyMatch(groups::contains));
                boolean labelled = labels.isEmpty()
                        || (h.labels() != null && h.labels().entrySet().containsAll(labels.entrySet()));
                if ((all || !groups.isEmpty() || !labels.isEmpty())
                        && inGroup
                        && labelled
                        && !names.contains(h.name())) {
                    names.add(h.name());
                }
            }
        }
        for (String x : exclude) {
            names = HostList.exclude(names, x);
        }
        if (names.isEmpty()) {
            throw new IllegalArgumentException("no targets left after excluding " + String.join(",", exclude));
        }
        return new JobSpec.Targets(names, List.of(), Map.of(), List.of());
    }
}
