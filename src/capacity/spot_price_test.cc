#include "capacity/spot_price.h"

#include <gtest/gtest.h>

#include "capacity/capacity_test_support.h"

namespace gleaner {
namespace {

constexpr EpochMillis kStart = 1'767'225'600'000;  // 2026-01-01T00:00:00Z
constexpr int64_t kHour = 3'600'000;

class SpotPrice : public ::testing::Test {
 protected:
  InstanceCatalog catalog_ = *InstanceCatalog::BuiltIn();
};

TEST_F(SpotPrice, StaysWithinTheDriftBoundAroundTheAdvisorPrice) {
  SpotPriceModel prices(catalog_, 7);
  for (const char* name : {"m5.xlarge", "c5.large", "r5.24xlarge", "p3.2xlarge", "a1.large"}) {
    const InstanceType& type = *catalog_.Find(name);
    double typical = static_cast<double>(*type.TypicalSpotPrice());
    for (const char* zone : {"us-east-1a", "us-east-1d"}) {
      for (int hour = 0; hour < 500; ++hour) {
        EpochMillis now = kStart + hour * kHour + 1234;
        auto price = prices.SpotPrice({name, zone}, now);
        ASSERT_TRUE(price.has_value());
        EXPECT_GE(static_cast<double>(*price), typical * 0.9 - 1) << name << " hour " << hour;
        EXPECT_LE(static_cast<double>(*price), typical * 1.1 + 1) << name << " hour " << hour;
        EXPECT_LE(*price, type.on_demand_price) << name;  // spot never costs more than on-demand
      }
    }
  }
}

TEST_F(SpotPrice, ConstantWithinAnHourAndMovingBetweenHours) {
  SpotPriceModel prices(catalog_, 7);
  CapacityPool pool{"m5.xlarge", "us-east-1a"};
  int changes = 0;
  double drift_sum = 0;
  for (int hour = 0; hour < 1000; ++hour) {
    EpochMillis start_of_hour = kStart + hour * kHour;
    EXPECT_EQ(prices.SpotPrice(pool, start_of_hour),
              prices.SpotPrice(pool, start_of_hour + kHour - 1));
    if (prices.SpotPrice(pool, start_of_hour) != prices.SpotPrice(pool, start_of_hour + kHour)) {
      ++changes;
    }
    double drift = prices.Drift(pool, start_of_hour);
    EXPECT_LE(std::abs(drift), 0.10);
    drift_sum += drift;
  }
  EXPECT_GT(changes, 900);
  EXPECT_NEAR(drift_sum / 1000, 0.0, 0.01);  // centred on the advisor's price
}

TEST_F(SpotPrice, ZonesDriftIndependently) {
  SpotPriceModel prices(catalog_, 7);
  int differing_hours = 0;
  for (int hour = 0; hour < 100; ++hour) {
    EpochMillis now = kStart + hour * kHour;
    if (prices.SpotPrice({"m5.xlarge", "us-east-1a"}, now) !=
        prices.SpotPrice({"m5.xlarge", "us-east-1b"}, now)) {
      ++differing_hours;
    }
  }
  EXPECT_GT(differing_hours, 90);
}

TEST_F(SpotPrice, SameSeedSamePricesOtherSeedOtherPrices) {
  SpotPriceModel prices(catalog_, 7);
  SpotPriceModel same(catalog_, 7);
  SpotPriceModel other(catalog_, 8);
  CapacityPool pool{"c5.xlarge", "us-east-1c"};
  int differs = 0;
  for (int hour = 0; hour < 200; ++hour) {
    EpochMillis now = kStart + hour * kHour;
    EXPECT_EQ(prices.SpotPrice(pool, now), same.SpotPrice(pool, now));
    differs += prices.SpotPrice(pool, now) != other.SpotPrice(pool, now);
  }
  EXPECT_GT(differs, 150);
  // Random access: asking in reverse order answers the same.
  EXPECT_EQ(prices.SpotPrice(pool, kStart + 150 * kHour),
            same.SpotPrice(pool, kStart + 150 * kHour));
}

TEST_F(SpotPrice, NoPriceWithoutASpotOffering) {
  SpotPriceModel prices(catalog_, 7);
  EXPECT_FALSE(prices.SpotPrice({"u-6tb1.56xlarge", "us-east-1a"}, kStart).has_value());
  EXPECT_FALSE(prices.SpotPrice({"c5.16xlarge", "us-east-1a"}, kStart).has_value());
}

TEST_F(SpotPrice, ZeroDriftIsTheAdvisorPrice) {
  SpotPriceModel prices(catalog_, 7, 0.0);
  EXPECT_EQ(prices.SpotPrice({"m5.xlarge", "us-east-1a"}, kStart), 65'280);
}

}  // namespace
}  // namespace gleaner
