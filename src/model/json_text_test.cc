#include "model/json_text.h"

#include <gtest/gtest.h>

#include <string>

namespace gleaner {
namespace {

TEST(JsonTextTest, IdenticalMeansEqualValuesOfEqualTypes) {
  using nlohmann::json;
  EXPECT_TRUE(JsonIdentical(json::parse(R"({"a": [1, "x", null]})"),
                            json::parse(R"({"a": [1, "x", null]})")));
  EXPECT_TRUE(JsonIdentical(json(1), json(1)));
  EXPECT_FALSE(JsonIdentical(json(1), json(1u))) << "nlohmann's == calls them equal";
  EXPECT_FALSE(JsonIdentical(json(1), json(1.0)));
  EXPECT_FALSE(JsonIdentical(json::parse(R"({"a": 1})"), json::parse(R"({"a": 1.0})")));
  EXPECT_FALSE(JsonIdentical(json::array({1, 2}), json::array({1})));
  EXPECT_TRUE(JsonIdentical(json(json::value_t::discarded), json(json::value_t::discarded)));
  EXPECT_FALSE(JsonIdentical(json(json::value_t::discarded), json(nullptr)));
}

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
