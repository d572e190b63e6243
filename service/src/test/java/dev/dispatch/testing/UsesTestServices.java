package dev.dispatch.testing;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;

/**
 * Registers {@link TestServicesResource} for every {@code @QuarkusTest} of the module. {@code GLOBAL}: one resource
 * (and one Quarkus start) shared by all test classes, as the deprecated {@code @QuarkusTestResource} did; the default
 * scope would restart Quarkus for each class.
 */
@WithTestResource(value = TestServicesResource.class, scope = TestResourceScope.GLOBAL)
public final class UsesTestServices {
    private UsesTestServices() {}
}
