#include "api/requests/json_fields.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "api/requests/field_rules.h"

namespace gleaner::fields {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

ObjectFields Open(const json& value, std::string path = "") {
  Result<ObjectFields> fields = ObjectFields::Open(value, std::move(path));
  EXPECT_TRUE(fields.ok()) << fields.status().message();
  return *fields;
}
ObjectFields Open(json&& value, std::string path = "") = delete;  // would dangle

TEST(JsonFieldsTest, PathsNameMembersElementsAndKeys) {
  EXPECT_EQ(MemberPath("", "jobName"), "jobName");
  EXPECT_EQ(MemberPath("retryStrategy", "attempts"), "retryStrategy.attempts");
  EXPECT_EQ(IndexPath("dependsOn", 2), "dependsOn[2]");
  EXPECT_EQ(KeyPath("tags", "team"), "tags[\"team\"]");
}

TEST(JsonFieldsTest, QuoteEscapesAndShortensWithoutSplittingCharacters) {
  EXPECT_EQ(Quote("a\"b\n"), R"("a\"b\n")");
  std::string long_text(200, 'x');
  EXPECT_EQ(Quote(long_text), "\"" + std::string(80, 'x') + "\"...");
  std::string accents = "a";
  for (int i = 0; i < 100; ++i) accents += "\xC3\xA9";  // é, two bytes each
  // Byte 80 is the second byte of an é: the cut backs up to the start of that é.
  EXPECT_EQ(Quote(accents), "\"" + accents.substr(0, 79) + "\"...");
}

TEST(JsonFieldsTest, CharacterCountCountsCodePoints) {
  EXPECT_EQ(CharacterCount("abc"), 3u);
  EXPECT_EQ(CharacterCount("\xC3\xA9t\xC3\xA9"), 3u);  // été
  EXPECT_EQ(CharacterCount("\xF0\x9F\x98\x80"), 1u);   // one emoji
}

TEST(JsonFieldsTest, OpenRefusesNonObjects) {
  const json array = json::array();
  Result<ObjectFields> body = ObjectFields::Open(array, "");
  ASSERT_FALSE(body.ok());
  EXPECT_EQ(body.status().message(), "the request body must be an object, got array");
  const json text = "x";
  Result<ObjectFields> nested = ObjectFields::Open(text, "retryStrategy");
  ASSERT_FALSE(nested.ok());
  EXPECT_EQ(nested.status().message(), "retryStrategy must be an object, got string \"x\"");
}

TEST(JsonFieldsTest, NullCountsAsAbsent) {
  const json body = {{"jobName", nullptr}};
  ObjectFields fields = Open(body);
  EXPECT_FALSE(fields.Has("jobName"));
  std::string name;
  Status status = fields.Required("jobName", &name);
  EXPECT_EQ(status.message(), "jobName is required");
  std::optional<int> priority = 7;
  EXPECT_TRUE(fields.Optional("priority", &priority).ok());
  EXPECT_EQ(priority, 7);
}

TEST(JsonFieldsTest, IntegersMustBeWhole32BitNumbers) {
  const json body = {{"a", 5},   {"b", -3},         {"c", 2.5},
                     {"d", "5"}, {"e", 4294967296}, {"f", 18446744073709551615u}};
  ObjectFields fields = Open(body);
  int value = 0;
  EXPECT_TRUE(fields.Required("a", &value).ok());
  EXPECT_EQ(value, 5);
  EXPECT_TRUE(fields.Required("b", &value).ok());
  EXPECT_EQ(value, -3);
  EXPECT_EQ(fields.Required("c", &value).message(), "c must be an integer, got number 2.5");
  EXPECT_EQ(fields.Required("d", &value).message(), "d must be an integer, got string \"5\"");
  EXPECT_EQ(fields.Required("e", &value).message(), "e must be a 32-bit integer, got 4294967296");
  EXPECT_EQ(fields.Required("f", &value).message(),
            "f must be a 32-bit integer, got 18446744073709551615");
}

TEST(JsonFieldsTest, ListsAndMapsNameTheOffendingElement) {
  const json body = {{"command", {"echo", 1}}, {"parameters", {{"k", 2}}}};
  ObjectFields fields = Open(body, "container");
  std::vector<std::string> command;
  EXPECT_EQ(fields.Required("command", &command).message(),
            "container.command[1] must be a string, got number 1");
  std::map<std::string, std::string> parameters;
  EXPECT_EQ(fields.Required("parameters", &parameters).message(),
            "container.parameters[\"k\"] must be a string, got number 2");
}

TEST(JsonFieldsTest, BooleansAndNumbers) {
  const json body = {{"flag", "true"}, {"weight", 0.5}};
  ObjectFields fields = Open(body);
  bool flag = false;
  EXPECT_EQ(fields.Required("flag", &flag).message(),
            "flag must be a boolean, got string \"true\"");
  double weight = 0;
  EXPECT_TRUE(fields.Required("weight", &weight).ok());
  EXPECT_DOUBLE_EQ(weight, 0.5);
}

TEST(JsonFieldsTest, CheckKindsAndCheckAbsent) {
  const json body = {{"subnets", {"a", 3}}, {"minvCpus", 0}};
  ObjectFields fields = Open(body, "computeResources");
  EXPECT_EQ(fields.CheckKinds({{"subnets", JsonKind::kStringList}}).message(),
            "computeResources.subnets[1] must be a string, got number 3");
  EXPECT_EQ(fields.CheckAbsent({"desiredvCpus", "minvCpus"}, "FARGATE does not use it").message(),
            "computeResources.minvCpus is not allowed: FARGATE does not use it");
}

TEST(JsonFieldsTest, RangeAndCountMessages) {
  EXPECT_EQ(CheckRange("retryStrategy.attempts", 11, 1, 10).message(),
            "retryStrategy.attempts must be between 1 and 10, got 11");
  EXPECT_EQ(CheckNumberRange("w", 1000.5, 0.0001, 999.9999).message(),
            "w must be between 0.0001 and 999.9999, got 1000.5");
  EXPECT_EQ(CheckCount("tags", 51, 0, 50).message(), "tags must have at most 50 entries, got 51");
  EXPECT_EQ(CheckCount("jobs", 0, 1, 100).message(),
            "jobs must have between 1 and 100 entries, got 0");
  EXPECT_EQ(CheckMaxLength("v", std::string(257, 'a'), 256).message(),
            "v must be at most 256 characters, got 257");
}

TEST(FieldRulesTest, ResourceNames) {
  EXPECT_TRUE(CheckResourceName("n", "a").ok());
  EXPECT_TRUE(CheckResourceName("n", "_my-Queue_01").ok());
  EXPECT_TRUE(CheckResourceName("n", std::string(128, 'q')).ok());
  EXPECT_FALSE(CheckResourceName("n", "").ok());
  EXPECT_FALSE(CheckResourceName("n", std::string(129, 'q')).ok());
  EXPECT_EQ(CheckResourceName("jobQueueName", "a b").message(),
            "jobQueueName \"a b\" is invalid: must be 1-128 characters and contain only letters, "
            "digits, hyphens and underscores");
}

TEST(FieldRulesTest, JobNames) {
  EXPECT_TRUE(CheckJobName("jobName", "9lives").ok());
  EXPECT_FALSE(CheckJobName("jobName", "-x").ok());
  EXPECT_FALSE(CheckJobName("jobName", "_x").ok());
  EXPECT_EQ(CheckJobName("jobName", "9 bad").message(),
            "jobName \"9 bad\" is invalid: must be 1-128 characters, start with a letter or "
            "digit, and contain only letters, digits, hyphens and underscores");
}

TEST(FieldRulesTest, EnumsAreCaseSensitive) {
  EXPECT_TRUE(CheckEnum("state", "ENABLED", {"ENABLED", "DISABLED"}).ok());
  EXPECT_EQ(CheckEnum("state", "enabled", {"ENABLED", "DISABLED"}).message(),
            "state \"enabled\" is invalid: must be one of ENABLED, DISABLED");
}

TEST(FieldRulesTest, ShareIdentifiers) {
  EXPECT_TRUE(CheckShareIdentifier("s", "UserA").ok());
  EXPECT_TRUE(CheckShareIdentifier("s", "UserA*").ok());
  EXPECT_TRUE(CheckShareIdentifier("s", std::string(255, 'a') + "*").ok());
  EXPECT_FALSE(CheckShareIdentifier("s", "*").ok());
  EXPECT_FALSE(CheckShareIdentifier("s", "a*b").ok());
  EXPECT_FALSE(CheckShareIdentifier("s", "a**").ok());
  EXPECT_FALSE(CheckShareIdentifier("s", "user-a").ok());
  EXPECT_FALSE(CheckShareIdentifier("s", std::string(256, 'a')).ok());
}

TEST(FieldRulesTest, Tags) {
  EXPECT_TRUE(CheckTags("tags", {{"team", "x"}, {"AWSome", ""}}, 0).ok());
  for (const char* budget : {"attempts", "unlimited", "0", "3", "10000"}) {
    EXPECT_TRUE(CheckTags("tags", {{"gleaner:preemption-retries", budget}}, 0).ok()) << budget;
  }
  for (const char* budget : {"many", "-1", "10001", "", "3 "}) {
    EXPECT_THAT(CheckTags("tags", {{"gleaner:preemption-retries", budget}}, 0).message(),
                HasSubstr("tags[\"gleaner:preemption-retries\"] \"" + std::string(budget) +
                          "\" is invalid: must be \"attempts\", \"unlimited\" or a whole number"))
        << budget;
  }
  EXPECT_THAT(CheckTags("tags", {{"aws:owner", "x"}}, 0).message(),
              HasSubstr("tags key \"aws:owner\" is invalid: tag keys starting with \"aws:\""));
  EXPECT_FALSE(CheckTags("tags", {{"AWS:owner", "x"}}, 0).ok());
  EXPECT_THAT(CheckTags("tags", {{"", "x"}}, 0).message(),
              HasSubstr("tag keys must be 1-128 characters"));
  EXPECT_FALSE(CheckTags("tags", {{std::string(129, 'k'), "x"}}, 0).ok());
  EXPECT_TRUE(CheckTags("tags", {{std::string(128, 'k'), std::string(256, 'v')}}, 0).ok());
  EXPECT_EQ(CheckTags("tags", {{"k", std::string(257, 'v')}}, 0).message(),
            "tags[\"k\"] must be at most 256 characters, got 257");
  TagMap many;
  for (int i = 0; i < 51; ++i) many["k" + std::to_string(i)] = "v";
  EXPECT_EQ(CheckTags("tags", many, 0).message(), "tags must have at most 50 entries, got 51");
  EXPECT_FALSE(CheckTags("tags", {}, 1).ok());
}

TEST(FieldRulesTest, PagesAndIdentifiers) {
  PageRequest page;
  const json full = {{"maxResults", 1000}, {"nextToken", "abc"}};
  EXPECT_TRUE(ReadPage(Open(full), &page).ok());
  EXPECT_EQ(page.max_results, 1000);
  EXPECT_EQ(page.next_token, "abc");
  const json zero = {{"maxResults", 0}};
  EXPECT_EQ(ReadPage(Open(zero), &page).message(), "maxResults must be between 1 and 1000, got 0");
  const json numeric_token = {{"nextToken", 5}};
  EXPECT_EQ(ReadPage(Open(numeric_token), &page).message(),
            "nextToken must be a string, got number 5");
  std::string id;
  const json empty_id = {{"jobId", ""}};
  EXPECT_EQ(ReadIdentifier(Open(empty_id), "jobId", &id).message(),
            "jobId \"\" is invalid: must not be empty");
}

}  // namespace
}  // namespace gleaner::fields
