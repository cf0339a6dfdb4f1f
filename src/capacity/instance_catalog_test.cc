#include "capacity/instance_catalog.h"

#include <gtest/gtest.h>

#include <array>

namespace gleaner {
namespace {

constexpr std::string_view kHeader =
    "instance_type,vcpu,memory_mib,gpu,on_demand_usd_per_hour,spot_savings_pct,"
    "interruption_bucket\n";

TEST(InstanceCatalog, BuiltInCatalogHasEveryUsEast1Type) {
  Result<InstanceCatalog> catalog = InstanceCatalog::BuiltIn();
  ASSERT_TRUE(catalog.ok()) << catalog.status().message();
  EXPECT_EQ(catalog->size(), 920u);
}

TEST(InstanceCatalog, LoadsTheDataFile) {
  Result<InstanceCatalog> catalog = InstanceCatalog::LoadFile(GLEANER_CATALOG_FILE);
  ASSERT_TRUE(catalog.ok()) << catalog.status().message();
  EXPECT_EQ(catalog->size(), 920u);
}

TEST(InstanceCatalog, MissingFileIsNotFound) {
  Result<InstanceCatalog> catalog = InstanceCatalog::LoadFile("/nonexistent/catalog.csv");
  ASSERT_FALSE(catalog.ok());
  EXPECT_EQ(catalog.status().code(), StatusCode::kNotFound);
}

TEST(InstanceCatalog, TypeCarriesShapePriceAndSpotFigures) {
  InstanceCatalog catalog = *InstanceCatalog::BuiltIn();
  const InstanceType* type = catalog.Find("m5.xlarge");
  ASSERT_NE(type, nullptr);
  EXPECT_EQ(type->family, "m5");
  EXPECT_EQ(type->size, "xlarge");
  EXPECT_EQ(type->vcpus, 4);
  EXPECT_EQ(type->memory_mib, 16384);
  EXPECT_EQ(type->gpus, 0);
  EXPECT_EQ(type->on_demand_price, 192'000);  // $0.192
  ASSERT_TRUE(type->spot.has_value());
  EXPECT_EQ(type->spot->savings_percent, 66);
  EXPECT_EQ(type->spot->interruption_bucket, 4);
  EXPECT_EQ(type->TypicalSpotPrice(), 65'280);  // 0.192 × 0.34
  EXPECT_EQ(type->Capacity(), (Resources{4000, 16384, 0}));
}

TEST(InstanceCatalog, GpuCountsAndTypesWithoutSpot) {
  InstanceCatalog catalog = *InstanceCatalog::BuiltIn();
  EXPECT_EQ(catalog.Find("p3.8xlarge")->gpus, 4);
  EXPECT_EQ(catalog.Find("g5.xlarge")->gpus, 1);
  EXPECT_EQ(catalog.Find("inf2.xlarge")->gpus, 0);
  const InstanceType* high_memory = catalog.Find("u-6tb1.56xlarge");
  ASSERT_NE(high_memory, nullptr);
  EXPECT_FALSE(high_memory->spot.has_value());
  EXPECT_FALSE(high_memory->TypicalSpotPrice().has_value());
  EXPECT_EQ(high_memory->on_demand_price, 46'403'910);
  // The advisor lists a1 without a savings figure: spot costs what on-demand does.
  EXPECT_EQ(catalog.Find("a1.large")->TypicalSpotPrice(),
            catalog.Find("a1.large")->on_demand_price);
}

TEST(InstanceCatalog, BucketsFollowTheSpotAdvisor) {
  InstanceCatalog catalog = *InstanceCatalog::BuiltIn();
  std::array<int, kInterruptionBucketCount> per_bucket{};
  int without_spot = 0;
  for (const auto& [name, type] : catalog.types()) {
    if (type.spot) {
      ++per_bucket[static_cast<size_t>(type.spot->interruption_bucket)];
    } else {
      ++without_spot;
    }
  }
  EXPECT_EQ(per_bucket, (std::array<int, 5>{192, 138, 81, 82, 401}));
  EXPECT_EQ(without_spot, 26);
  EXPECT_EQ(BucketBounds(0).upper_percent, 5);
  EXPECT_EQ(BucketBounds(1).lower_percent, 5);
  EXPECT_EQ(BucketBounds(1).upper_percent, 11);
  EXPECT_EQ(BucketBounds(4).label, ">20%");
}

TEST(InstanceCatalog, FamilyListsItsSizesSmallestFirst) {
  InstanceCatalog catalog = *InstanceCatalog::BuiltIn();
  std::vector<std::string> names;
  for (const InstanceType* type : catalog.Family("c5")) names.push_back(type->name);
  EXPECT_EQ(names, (std::vector<std::string>{"c5.large", "c5.xlarge", "c5.2xlarge", "c5.4xlarge",
                                             "c5.9xlarge", "c5.12xlarge", "c5.18xlarge",
                                             "c5.24xlarge", "c5.metal"}));
  EXPECT_TRUE(catalog.Family("c5.large").empty());
  EXPECT_TRUE(catalog.Family("zz9").empty());
}

TEST(InstanceCatalog, ParsesPricesExactly) {
  EXPECT_EQ(*ParseMicroUsd("0.0255"), 25'500);
  EXPECT_EQ(*ParseMicroUsd("46.40391"), 46'403'910);
  EXPECT_EQ(*ParseMicroUsd("2"), 2'000'000);
  EXPECT_EQ(*ParseMicroUsd("0.000001"), 1);
  EXPECT_FALSE(ParseMicroUsd("0.0000001").ok());
  EXPECT_FALSE(ParseMicroUsd("-1").ok());
  EXPECT_FALSE(ParseMicroUsd("1.2x").ok());
  EXPECT_FALSE(ParseMicroUsd("").ok());
}

TEST(InstanceCatalog, RejectsMalformedRowsWithTheLine) {
  auto parse = [](const std::string& rows) {
    return InstanceCatalog::FromCsv(std::string(kHeader) + rows);
  };
  EXPECT_TRUE(parse("a.large,2,4096,0,0.1,50,1\nb.large,2,4096,0,0.1,,\n").ok());
  Result<InstanceCatalog> bad_bucket = parse("a.large,2,4096,0,0.1,50,7\n");
  ASSERT_FALSE(bad_bucket.ok());
  EXPECT_EQ(bad_bucket.status().message(),
            "instance catalog line 2: interruption_bucket must be 0..4, got '7'");
  EXPECT_FALSE(parse("a.large,2,4096,0,0.1,50\n").ok());
  EXPECT_FALSE(parse("alarge,2,4096,0,0.1,50,1\n").ok());
  EXPECT_FALSE(parse("a.large,0,4096,0,0.1,50,1\n").ok());
  EXPECT_FALSE(parse("a.large,2,4096,0,0.1,50,1\na.large,2,4096,0,0.1,50,1\n").ok());
  EXPECT_FALSE(InstanceCatalog::FromCsv("name,vcpu\na.large,2\n").ok());
  EXPECT_FALSE(InstanceCatalog::FromCsv(kHeader).ok());
}

}  // namespace
}  // namespace gleaner
