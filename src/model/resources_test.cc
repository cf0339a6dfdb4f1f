#include "model/resources.h"

#include <gtest/gtest.h>

#include "model/job_definition.h"

namespace gleaner {
namespace {

TEST(Resources, ToStringShowsWholeAndFractionalVcpus) {
  EXPECT_EQ((Resources{2000, 4096, 0}).ToString(), "2 vCPU, 4096 MiB, 0 GPU");
  EXPECT_EQ((Resources{250, 512, 1}).ToString(), "0.25 vCPU, 512 MiB, 1 GPU");
  EXPECT_EQ((Resources{1500, 0, 0}).ToString(), "1.5 vCPU, 0 MiB, 0 GPU");
  EXPECT_EQ((Resources{1001, 1, 0}).ToString(), "1.001 vCPU, 1 MiB, 0 GPU");
  EXPECT_EQ((Resources{-500, -1, 0}).ToString(), "-0.5 vCPU, -1 MiB, 0 GPU");
}

TEST(Resources, ArithmeticAndFit) {
  Resources host{4000, 8192, 1};
  Resources job{1500, 2048, 1};
  EXPECT_TRUE(job.FitsIn(host));
  EXPECT_EQ(host - job, (Resources{2500, 6144, 0}));
  EXPECT_EQ(host - job + job, host);
  EXPECT_FALSE((Resources{4001, 1, 0}).FitsIn(host));
  EXPECT_FALSE((Resources{1, 1, 2}).FitsIn(host));
}

TEST(ParseMilliVcpus, WholeAndFractionalAmounts) {
  EXPECT_EQ(*ParseMilliVcpus("1"), 1000);
  EXPECT_EQ(*ParseMilliVcpus("0.25"), 250);
  EXPECT_EQ(*ParseMilliVcpus("0.5"), 500);
  EXPECT_EQ(*ParseMilliVcpus("2.125"), 2125);
  EXPECT_EQ(*ParseMilliVcpus("16.0"), 16000);
  EXPECT_EQ(*ParseMilliVcpus("0"), 0);
  EXPECT_EQ(*ParseMilliVcpus("007"), 7000);
}

TEST(ParseMilliVcpus, RefusesWhatIsNotAnExactNonNegativeAmount) {
  for (const char* text : {"", "-1", "+1", "0.0001", "1.2345", "abc", "1e3", " 1", "1 ", "1.", ".5",
                           "1.2.3", "0x10", "1,5", "99999999999999999999"}) {
    Result<int64_t> parsed = ParseMilliVcpus(text);
    EXPECT_FALSE(parsed.ok()) << "'" << text << "'";
    if (!parsed.ok()) {
      EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument);
      EXPECT_NE(parsed.status().message().find(text), std::string::npos);
    }
  }
}

ContainerProperties WithRequirements(std::vector<ResourceRequirement> requirements) {
  ContainerProperties container;
  container.resource_requirements = std::move(requirements);
  return container;
}

TEST(RequiredResources, ReadsResourceRequirements) {
  Result<Resources> required =
      RequiredResources(WithRequirements({{"VCPU", "0.25"}, {"MEMORY", "512"}, {"GPU", "2"}}));
  ASSERT_TRUE(required.ok()) << required.status().message();
  EXPECT_EQ(*required, (Resources{250, 512, 2}));
}

TEST(RequiredResources, RequirementsTakePrecedenceOverLegacyFields) {
  ContainerProperties container = WithRequirements({{"VCPU", "2"}, {"MEMORY", "1024"}});
  container.vcpus = 8;
  container.memory = 99999;
  EXPECT_EQ(*RequiredResources(container), (Resources{2000, 1024, 0}));
}

TEST(RequiredResources, FallsBackToLegacyFieldsPerResource) {
  ContainerProperties container = WithRequirements({{"MEMORY", "256"}});
  container.vcpus = 3;
  container.memory = 4096;
  EXPECT_EQ(*RequiredResources(container), (Resources{3000, 256, 0}));

  ContainerProperties legacy;
  legacy.vcpus = 2;
  legacy.memory = 2048;
  EXPECT_EQ(*RequiredResources(legacy), (Resources{2000, 2048, 0}));
}

TEST(RequiredResources, MissingVcpuMeansOne) {
  EXPECT_EQ(*RequiredResources(WithRequirements({{"MEMORY", "128"}})), (Resources{1000, 128, 0}));
}

TEST(RequiredResources, MissingMemoryIsAnErrorNamingTheField) {
  Result<Resources> required = RequiredResources(WithRequirements({{"VCPU", "1"}}));
  ASSERT_FALSE(required.ok());
  EXPECT_EQ(required.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(required.status().message().find("containerProperties.resourceRequirements"),
            std::string::npos);
  EXPECT_NE(required.status().message().find("MEMORY is required"), std::string::npos);
}

TEST(RequiredResources, RefusesMalformedValues) {
  const std::vector<std::vector<ResourceRequirement>> cases = {
      {{"VCPU", "abc"}, {"MEMORY", "512"}},
      {{"VCPU", "0"}, {"MEMORY", "512"}},
      {{"MEMORY", "1.5"}},
      {{"MEMORY", "0"}},
      {{"MEMORY", "-5"}},
      {{"MEMORY", "512"}, {"GPU", "0.5"}},
      {{"MEMORY", "512"}, {"INFERENCE", "1"}},
      {{"MEMORY", "512"}, {"MEMORY", "1024"}},
  };
  for (const auto& requirements : cases) {
    Result<Resources> required = RequiredResources(WithRequirements(requirements));
    EXPECT_FALSE(required.ok()) << requirements.front().type << "=" << requirements.front().value;
    if (!required.ok()) {
      EXPECT_EQ(required.status().code(), StatusCode::kInvalidArgument);
    }
  }
}

TEST(RequiredResources, RefusesNonPositiveLegacyValues) {
  ContainerProperties container;
  container.vcpus = 0;
  container.memory = 512;
  EXPECT_FALSE(RequiredResources(container).ok());
  container.vcpus = 1;
  container.memory = 0;
  EXPECT_FALSE(RequiredResources(container).ok());
}

}  // namespace
}  // namespace gleaner
