#include "agent/advertised_address.h"

#include <gtest/gtest.h>

namespace gleaner {
namespace {

TEST(AdvertisedAddressTest, IsTheLocalAddressTowardsTheServer) {
  // Loopback servers are reached from loopback: nothing leaves the machine, nothing is sent.
  Result<std::string> local = LocalAddressTowards("http://127.0.0.1:8686");
  ASSERT_TRUE(local.ok()) << local.status().message();
  EXPECT_EQ(*local, "127.0.0.1");
  Result<std::string> other_loopback = LocalAddressTowards("https://127.0.0.2/path");
  ASSERT_TRUE(other_loopback.ok()) << other_loopback.status().message();
  EXPECT_EQ(other_loopback->rfind("127.", 0), 0u) << *other_loopback;
}

TEST(AdvertisedAddressTest, AnUnresolvableServerSaysWhy) {
  Result<std::string> local = LocalAddressTowards("http://no-such-host.invalid:8686");
  ASSERT_FALSE(local.ok());
  EXPECT_NE(local.status().message().find("no-such-host.invalid"), std::string::npos);
}

TEST(AdvertisedAddressTest, OnlyDottedDecimalIpv4IsAnAddress) {
  EXPECT_TRUE(CheckIpv4Address("10.0.1.17").ok());
  for (const char* bad : {"", "10.0.1", "10.0.1.256", "::1", "host.example", "10.0.1.17 "}) {
    EXPECT_FALSE(CheckIpv4Address(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace gleaner
