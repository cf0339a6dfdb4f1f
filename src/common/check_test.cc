#include "common/check.h"

#include <gtest/gtest.h>

#include "common/contain.h"

namespace gleaner {
namespace {

TEST(CheckTest, AHoldingCheckDoesNothingAndDoesNotEvaluateItsMessage) {
  int64_t before = CheckFailures();
  bool evaluated = false;
  auto message = [&] {
    evaluated = true;
    return std::string("never");
  };
  GLEANER_CHECK(1 + 1 == 2, message());
  EXPECT_FALSE(evaluated);
  EXPECT_EQ(CheckFailures(), before);
}

TEST(CheckTest, AFailedCheckIsCountedNamedAndContainedAsAnInternalError) {
  int64_t before = CheckFailures();
  int parents = 0;
  Status status = Contain([&] { GLEANER_CHECK(parents == 1, "job x has no parent"); });
  EXPECT_EQ(status.code(), StatusCode::kInternal);
  EXPECT_NE(status.message().find("GLEANER_CHECK(parents == 1) failed: job x has no parent"),
            std::string::npos);
  EXPECT_EQ(CheckFailures(), before + 1);
  EXPECT_NE(LastCheckFailure().find("check_test.cc:"), std::string::npos);
}

}  // namespace
}  // namespace gleaner
