#include "common/ids.h"

#include <gtest/gtest.h>

#include <set>

namespace gleaner {
namespace {

TEST(UuidV7Generator, IdsAreVersion7AndSortByCreation) {
  FakeClock clock;
  UuidV7Generator ids(clock, 42);
  std::string previous = ids.Next();
  EXPECT_EQ(previous.size(), 36u);
  EXPECT_EQ(previous[14], '7');
  std::set<std::string> seen{previous};
  for (int i = 0; i < 10000; ++i) {
    if (i % 1000 == 0) clock.Advance(1);
    std::string next = ids.Next();
    EXPECT_LT(previous, next);
    EXPECT_TRUE(seen.insert(next).second);
    previous = next;
  }
}

TEST(UuidV7Generator, SameSeedSameIds) {
  FakeClock clock;
  UuidV7Generator a(clock, 7);
  UuidV7Generator b(clock, 7);
  EXPECT_EQ(a.Next(), b.Next());
}

TEST(RandomHex, HasRequestedLengthAndAlphabet) {
  std::mt19937_64 random(1);
  std::string hex = RandomHex(random, 17);
  EXPECT_EQ(hex.size(), 17u);
  EXPECT_EQ(hex.find_first_not_of("0123456789abcdef"), std::string::npos);
}

}  // namespace
}  // namespace gleaner
