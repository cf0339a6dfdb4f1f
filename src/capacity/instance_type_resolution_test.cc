#include "capacity/instance_type_resolution.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace gleaner {
namespace {

using ::testing::HasSubstr;

class InstanceTypeResolution : public ::testing::Test {
 protected:
  std::vector<std::string> Resolve(const std::vector<std::string>& entries) {
    Result<std::vector<InstanceType>> types = ResolveInstanceTypes(catalog_, entries);
    EXPECT_TRUE(types.ok()) << types.status().message();
    std::vector<std::string> names;
    if (types.ok()) {
      for (const InstanceType& type : *types) names.push_back(type.name);
    }
    return names;
  }
  std::string ErrorFor(const std::vector<std::string>& entries) {
    Result<std::vector<InstanceType>> types = ResolveInstanceTypes(catalog_, entries);
    EXPECT_FALSE(types.ok());
    EXPECT_EQ(types.status().code(), StatusCode::kInvalidArgument);
    return types.status().message();
  }

  InstanceCatalog catalog_ = *InstanceCatalog::BuiltIn();
};

TEST_F(InstanceTypeResolution, ExactSize) {
  EXPECT_EQ(Resolve({"m5.xlarge"}), (std::vector<std::string>{"m5.xlarge"}));
}

TEST_F(InstanceTypeResolution, FamilyMeansEverySizeOfExactlyThatFamily) {
  std::vector<std::string> names = Resolve({"m5"});
  EXPECT_EQ(names.size(), 9u);  // large .. 24xlarge and metal
  for (const std::string& name : names) EXPECT_TRUE(name.starts_with("m5.")) << name;
  EXPECT_THAT(names, ::testing::Contains("m5.metal"));
}

TEST_F(InstanceTypeResolution, OptimalIsTheC4M4R4C5M5R5Families) {
  std::vector<std::string> names = Resolve({"optimal"});
  size_t expected = 0;
  for (const std::string& family : OptimalFamilies()) expected += catalog_.Family(family).size();
  EXPECT_EQ(names.size(), expected);
  EXPECT_THAT(names, ::testing::Contains("c4.large"));
  EXPECT_THAT(names, ::testing::Contains("r5.24xlarge"));
  for (const std::string& name : names) {
    std::string family = name.substr(0, name.find('.'));
    EXPECT_THAT(OptimalFamilies(), ::testing::Contains(family)) << name;
  }
}

TEST_F(InstanceTypeResolution, DefaultBundles) {
  EXPECT_THAT(Resolve({"default_x86_64"}), ::testing::Contains("c7i.large"));
  EXPECT_THAT(Resolve({"default_arm64"}), ::testing::Contains("m6g.medium"));
}

TEST_F(InstanceTypeResolution, MixedEntriesAreSortedWithoutDuplicates) {
  EXPECT_EQ(Resolve({"c5.large", "m5.large", "c5.large"}),
            (std::vector<std::string>{"c5.large", "m5.large"}));
  std::vector<std::string> names = Resolve({"c5", "c5.xlarge", "optimal"});
  EXPECT_EQ(names, Resolve({"optimal"}));
}

TEST_F(InstanceTypeResolution, UnknownSizeListsTheFamilysSizes) {
  std::string message = ErrorFor({"c5.16xlarge"});
  EXPECT_EQ(message,
            "instanceTypes has unknown instance types: 'c5.16xlarge' is not a size of c5 (c5 has: "
            "c5.large, c5.xlarge, c5.2xlarge, c5.4xlarge, c5.9xlarge, c5.12xlarge, c5.18xlarge, "
            "c5.24xlarge, c5.metal)");
}

TEST_F(InstanceTypeResolution, UnknownFamilySuggestsCloseNames) {
  EXPECT_THAT(ErrorFor({"m55"}), HasSubstr("'m55' is not an instance type or family (closest: m5"));
  EXPECT_THAT(ErrorFor({"M5.XLARGE"}), HasSubstr("closest: m5.xlarge"));
  EXPECT_THAT(ErrorFor({"optimum"}), HasSubstr("closest: optimal"));
  EXPECT_THAT(ErrorFor({"quantum-computer"}),
              HasSubstr("'quantum-computer' is not an instance type or family in us-east-1"));
}

TEST_F(InstanceTypeResolution, EveryUnknownEntryIsReported) {
  std::string message = ErrorFor({"m5.large", "c5.16xlarge", "m55"});
  EXPECT_THAT(message, HasSubstr("'c5.16xlarge'"));
  EXPECT_THAT(message, HasSubstr("; 'm55'"));
  EXPECT_THAT(message, ::testing::Not(HasSubstr("'m5.large'")));
}

TEST_F(InstanceTypeResolution, EmptyListIsAnError) {
  EXPECT_THAT(ErrorFor({}), HasSubstr("at least one"));
}

TEST_F(InstanceTypeResolution, ComputeResourcesAreCheckedAsCreateComputeEnvironmentDoes) {
  ComputeResources resources;
  resources.type = "EC2";
  EXPECT_TRUE(CheckComputeResourcesInstanceTypes(catalog_, resources).ok());  // optimal
  resources.instance_types = {"m5.large", "c5"};
  EXPECT_TRUE(CheckComputeResourcesInstanceTypes(catalog_, resources).ok());
  resources.instance_types = {"m5.large", "m5.nosuchsize"};
  Status refused = CheckComputeResourcesInstanceTypes(catalog_, resources);
  EXPECT_EQ(refused.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(refused.message(), HasSubstr("computeResources.instanceTypes is invalid: "));
  EXPECT_THAT(refused.message(), HasSubstr("'m5.nosuchsize' is not a size of m5 (m5 has: "));
  // A SPOT environment needs some type that is offered as spot.
  const InstanceType* on_demand_only = nullptr;
  for (const auto& [name, type] : catalog_.types()) {
    if (!type.spot) on_demand_only = &type;
  }
  if (on_demand_only == nullptr) GTEST_SKIP() << "every catalog type is offered as spot";
  resources.type = "SPOT";
  resources.instance_types = {on_demand_only->name};
  EXPECT_THAT(CheckComputeResourcesInstanceTypes(catalog_, resources).message(),
              HasSubstr("none of them is offered as spot"));
  resources.type = "EC2";
  EXPECT_TRUE(CheckComputeResourcesInstanceTypes(catalog_, resources).ok());
}

}  // namespace
}  // namespace gleaner
