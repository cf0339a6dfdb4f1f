#include "capacity/capacity_pool.h"
#include "capacity/subnet_zones.h"

#include <gtest/gtest.h>

#include <regex>
#include <set>

#include "capacity/capacity_test_support.h"
#include "capacity/instance_ids.h"
#include "capacity/seeded_random.h"

namespace gleaner {
namespace {

TEST(AvailabilityZones, SubnetsMapToStableZones) {
  // FNV-1a of the id modulo six: pinned so that a change of mapping is a deliberate one.
  EXPECT_EQ(AvailabilityZoneForSubnet("subnet-220c0e0a"),
            AvailabilityZones()[StableHash("subnet-220c0e0a") % 6]);
  EXPECT_EQ(StableHash(""), 0xcbf29ce484222325ull);
  EXPECT_EQ(StableHash("a"), 0xaf63dc4c8601ec8cull);
  std::set<std::string> zones;
  for (int i = 0; i < 100; ++i) {
    std::string subnet = "subnet-" + std::to_string(i);
    std::string zone = AvailabilityZoneForSubnet(subnet);
    EXPECT_EQ(zone, AvailabilityZoneForSubnet(subnet));
    EXPECT_TRUE(zone.starts_with("us-east-1")) << zone;
    zones.insert(zone);
  }
  EXPECT_EQ(zones.size(), 6u);  // a hundred subnets reach every zone
}

TEST(AvailabilityZones, SubnetZonesAreDistinctAndSorted) {
  SubnetZones subnets;
  std::vector<std::string> zones =
      subnets.ZonesOf({"subnet-1", "subnet-2", "subnet-3", "subnet-1"});
  EXPECT_TRUE(std::is_sorted(zones.begin(), zones.end()));
  EXPECT_EQ(std::set<std::string>(zones.begin(), zones.end()).size(), zones.size());
  EXPECT_LE(zones.size(), 3u);
  EXPECT_EQ(subnets.ZonesOf({}), AvailabilityZones());
  EXPECT_EQ(AvailabilityZones().size(), 6u);
}

TEST(AvailabilityZones, ASubnetIsWhereItWasDeclaredOrFirstPlaced) {
  auto declared = SubnetZones::Declared({{"subnet-declared", "us-east-1f"}});
  ASSERT_TRUE(declared.ok()) << declared.status().message();
  SubnetZones subnets = *declared;
  EXPECT_EQ(subnets.ZoneOf("subnet-declared"), "us-east-1f");
  EXPECT_EQ(subnets.ZoneOf("subnet-other"), AvailabilityZoneForSubnet("subnet-other"));
  // aws-batch-spot-block.txt: a subnet gleaner never saw, named with the zone it is in.
  EXPECT_TRUE(subnets.Place("subnet-c8d30ae4", "us-east-1c").ok());
  EXPECT_EQ(subnets.ZoneOf("subnet-c8d30ae4"), "us-east-1c");
  EXPECT_EQ(subnets.ZonesOf({"subnet-c8d30ae4", "subnet-declared"}),
            (std::vector<std::string>{"us-east-1c", "us-east-1f"}));
  // A subnet is in one zone.
  Status moved = subnets.Place("subnet-c8d30ae4", "us-east-1a");
  EXPECT_FALSE(moved.ok());
  EXPECT_EQ(moved.message(), "The subnet subnet-c8d30ae4 is in us-east-1c, not in us-east-1a.");
  EXPECT_FALSE(subnets.Check("subnet-declared", "us-east-1a").ok());
  EXPECT_FALSE(SubnetZones::Declared({{"subnet-x", "eu-west-1a"}}).ok());
}

TEST(CapacityPools, EveryTypeInEveryZone) {
  InstanceCatalog catalog =
      testing::CatalogOf("a.large,2,4096,0,0.1,50,1\nb.large,2,4096,0,0.1,50,1\n");
  std::vector<InstanceType> types = {*catalog.Find("b.large"), *catalog.Find("a.large")};
  std::vector<CapacityPool> pools = PoolsFor(types, {"us-east-1b", "us-east-1a"});
  ASSERT_EQ(pools.size(), 4u);
  EXPECT_EQ(pools.front(), (CapacityPool{"a.large", "us-east-1a"}));
  EXPECT_EQ(pools.back().ToString(), "b.large@us-east-1b");
}

TEST(InstanceIds, SeventeenHexDigitsFromTheSeed) {
  InstanceIdGenerator ids(42);
  InstanceIdGenerator same(42);
  InstanceIdGenerator other(43);
  std::regex shape("i-[0-9a-f]{17}");
  std::set<std::string> seen;
  bool differs = false;
  for (int i = 0; i < 1000; ++i) {
    std::string id = ids.Next();
    EXPECT_TRUE(std::regex_match(id, shape)) << id;
    EXPECT_EQ(id, same.Next());
    differs |= id != other.Next();
    seen.insert(id);
  }
  EXPECT_TRUE(differs);
  EXPECT_EQ(seen.size(), 1000u);
}

}  // namespace
}  // namespace gleaner
