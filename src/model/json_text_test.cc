#include "model/json_text.h"

#include <gtest/gtest.h>

#include <string>

namespace gleaner {
namespace {

TEST(JsonTextTest, ParsesOneDocument) {
  Result<nlohmann::json> parsed = ParseJsonText(R"({"jobName":"a"})");
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ((*parsed)["jobName"], "a");
}

TEST(JsonTextTest, RefusesANulByteAfterTheDocument) {
  Result<nlohmann::json> parsed = ParseJsonText(std::string("{}\0{\"ignored\":1}", 16));
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(parsed.status().message().find("NUL"), std::string::npos);
}

TEST(JsonTextTest, RefusesTrailingBytesAndBadUtf8) {
  EXPECT_FALSE(ParseJsonText("{} {}").ok());
  EXPECT_FALSE(ParseJsonText("{\"a\":\"\xFF\"}").ok());
  EXPECT_FALSE(ParseJsonText("").ok());
}

TEST(JsonTextTest, DumpsStringsThatAreNotUtf8WithoutThrowing) {
  nlohmann::json value = {{"message", std::string("job/\xFF")}};
  EXPECT_EQ(DumpJson(value), "{\"message\":\"job/\xEF\xBF\xBD\"}");
}

}  // namespace
}  // namespace gleaner
