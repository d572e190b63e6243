package dev.dispatch.api;

import dev.dispatch.inventory.HostImportService;
import java.util.List;

/**
 * Outcome of {@code POST /hosts:import}: host names created and updated, and likewise for groups, in file order.
 * With {@code dryRun} nothing was written; the lists say what would have happened.
 */
public record ImportResponse(boolean dryRun, List<String> created, List<String> updated, Groups groups) {
    /** Group names created and updated. */
    public record Groups(List<String> created, List<String> updated) {}

    /** Maps an import result. */
    public static ImportResponse from(HostImportService.Result r) {
        return new ImportResponse(
                r.dryRun(), r.created(), r.updated(), new Groups(r.groupsCreated(), r.groupsUpdated()));
    }
}
