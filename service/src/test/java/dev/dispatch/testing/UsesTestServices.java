package dev.dispatch.testing;

import io.quarkus.test.common.QuarkusTestResource;

/** Registers {@link TestServicesResource} for every {@code @QuarkusTest} of the module. */
@QuarkusTestResource(TestServicesResource.class)
public final class UsesTestServices {
    private UsesTestServices() {}
}
