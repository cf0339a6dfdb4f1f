#include "model/preemption.h"

#include <gtest/gtest.h>

namespace gleaner {
namespace {

TEST(PreemptionBudgetTest, ParsesWhatTheTagMaySay) {
  EXPECT_EQ(ParsePreemptionBudget("attempts"), PreemptionBudget{});
  EXPECT_EQ(ParsePreemptionBudget("unlimited"), (PreemptionBudget{false, std::nullopt}));
  EXPECT_EQ(ParsePreemptionBudget("0"), (PreemptionBudget{false, 0}));
  EXPECT_EQ(ParsePreemptionBudget("10000"), (PreemptionBudget{false, 10'000}));
  for (const char* bad : {"", "-1", "10001", "two", "1.5", " 1"}) {
    EXPECT_EQ(ParsePreemptionBudget(bad), std::nullopt) << bad;
  }
  EXPECT_EQ(FormatPreemptionBudget(PreemptionBudget{false, 4}), "4");
  EXPECT_EQ(FormatPreemptionBudget(PreemptionBudget{}), "attempts");
}

}  // namespace
}  // namespace gleaner
