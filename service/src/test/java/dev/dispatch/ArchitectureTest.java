package dev.dispatch;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

@AnalyzeClasses(packages = "dev.dispatch", importOptions = ImportOption.DoNotIncludeTests.class)
class ArchitectureTest {
    @ArchTest
    static final ArchRule minaStaysInSsh = noClasses()
            .that()
            .resideOutsideOfPackage("dev.dispatch.ssh..")
            .should()
            .dependOnClassesThat()
            .resideInAPackage("org.apache.sshd..");

    @ArchTest
    static final ArchRule jaxRsStaysInApi = noClasses()
            .that()
            .resideOutsideOfPackage("dev.dispatch.api..")
            .should()
            .dependOnClassesThat()
            .resideInAnyPackage("jakarta.ws.rs..", "org.jboss.resteasy..");

    @ArchTest
    static final ArchRule messagingOnlyInConsumersAndPublishers = noClasses()
            .that()
            .haveSimpleNameNotEndingWith("Publisher")
            .and()
            .haveSimpleNameNotEndingWith("Consumer")
            .and()
            .doNotHaveSimpleName("KafkaSend")
            .should()
            .dependOnClassesThat()
            .resideInAnyPackage("org.eclipse.microprofile.reactive.messaging..");

    @ArchTest
    static final ArchRule sshDependsOnNoFeature = noClasses()
            .that()
            .resideInAPackage("dev.dispatch.ssh..")
            .should()
            .dependOnClassesThat()
            .resideInAnyPackage(
                    "dev.dispatch.job..",
                    "dev.dispatch.inventory..",
                    "dev.dispatch.worker..",
                    "dev.dispatch.api..",
                    "dev.dispatch.intake..");

    @ArchTest
    static final ArchRule jobDependsOnNoCaller = noClasses()
            .that()
            .resideInAPackage("dev.dispatch.job..")
            .should()
            .dependOnClassesThat()
            .resideInAnyPackage(
                    "dev.dispatch.api..",
                    "dev.dispatch.intake..",
                    "dev.dispatch.worker..",
                    "dev.dispatch.inventory..",
                    "dev.dispatch.ssh..");
}
