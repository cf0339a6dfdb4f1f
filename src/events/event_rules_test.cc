#include "events/event_rules.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "events/target_input.h"

namespace gleaner {
namespace {

using nlohmann::json;

EventRule Rule(const std::string& name, const std::string& pattern) {
  EventRule rule;
  rule.name = name;
  rule.event_pattern = pattern;
  return rule;
}

const json kFailedJob = {{"source", "aws.batch"},
                         {"detail-type", "Batch Job State Change"},
                         {"detail", {{"jobId", "abc"}, {"status", "FAILED"}, {"vcpus", 2}}}};

class EventRulesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/event-rules-test-XXXXXX";
    directory_ = mkdtemp(pattern);
    path_ = directory_ + "/event-rules.json";
  }
  void TearDown() override { std::filesystem::remove_all(directory_); }
  std::unique_ptr<EventRules> Open() {
    Result<std::unique_ptr<EventRules>> rules = EventRules::Open(path_);
    EXPECT_TRUE(rules.ok()) << rules.status().message();
    return std::move(*rules);
  }
  std::string directory_, path_;
};

TEST_F(EventRulesTest, MatchingEnabledRulesGiveTheirTargets) {
  auto rules = Open();
  ASSERT_TRUE(rules->Put(Rule("failed", R"({"detail": {"status": ["FAILED"]}})")).ok());
  ASSERT_TRUE(rules->Put(Rule("ec2", R"({"source": ["aws.ec2"]})")).ok());
  EXPECT_TRUE(rules->Match(kFailedJob).empty());  // no targets yet
  ASSERT_TRUE(rules->PutTargets("failed", {{{"Id", "hook"}, {"Arn", "http://127.0.0.1:1/"}}}).ok());
  ASSERT_TRUE(rules->PutTargets("ec2", {{{"Id", "hook"}, {"Arn", "http://127.0.0.1:1/"}}}).ok());
  std::vector<EventDelivery> deliveries = rules->Match(kFailedJob);
  ASSERT_EQ(deliveries.size(), 1u);
  EXPECT_EQ(deliveries[0].rule, "failed");
  EXPECT_EQ(deliveries[0].target["Id"], "hook");
  ASSERT_TRUE(rules->SetState("failed", "DISABLED").ok());
  EXPECT_TRUE(rules->Match(kFailedJob).empty());
}

TEST_F(EventRulesTest, PutReplacesTheRuleButKeepsItsTargets) {
  auto rules = Open();
  ASSERT_TRUE(rules->Put(Rule("r", R"({"source": ["aws.ec2"]})")).ok());
  ASSERT_TRUE(rules->PutTargets("r", {{{"Id", "t"}, {"Arn", "http://127.0.0.1:1/"}}}).ok());
  EventRule replaced = Rule("r", R"({"source": ["aws.batch"]})");
  ASSERT_TRUE(rules->Put(replaced).ok());
  EXPECT_EQ(rules->Get("r")->event_pattern, R"({"source": ["aws.batch"]})");
  EXPECT_EQ(rules->Match(kFailedJob).size(), 1u);
  EXPECT_FALSE(rules->Put(Rule("bad", R"({"source": "aws.batch"})")).ok());
  EXPECT_FALSE(rules->Get("bad").has_value());
}

TEST_F(EventRulesTest, ARuleWithTargetsIsNotDeleted) {
  auto rules = Open();
  ASSERT_TRUE(rules->Put(Rule("r", R"({"source": ["aws.ec2"]})")).ok());
  ASSERT_TRUE(rules->PutTargets("r", {{{"Id", "t"}, {"Arn", "http://127.0.0.1:1/"}}}).ok());
  EXPECT_EQ(rules->Delete("r").code(), StatusCode::kFailedPrecondition);
  ASSERT_TRUE(rules->RemoveTargets("r", {"t"}).ok());
  EXPECT_TRUE(rules->Delete("r").ok());
  EXPECT_EQ(rules->Delete("r").code(), StatusCode::kNotFound);
  EXPECT_EQ(rules->PutTargets("r", {}).code(), StatusCode::kNotFound);
}

TEST_F(EventRulesTest, ListIsByNameWithinAPrefix) {
  auto rules = Open();
  for (const char* name : {"spot-b", "batch", "spot-a", "spotless"}) {
    ASSERT_TRUE(rules->Put(Rule(name, R"({"source": ["x"]})")).ok());
  }
  std::vector<std::string> names;
  for (const EventRule& rule : rules->List("spot-")) names.push_back(rule.name);
  EXPECT_EQ(names, (std::vector<std::string>{"spot-a", "spot-b"}));
  EXPECT_EQ(rules->List("").size(), 4u);
}

TEST_F(EventRulesTest, RulesAndTargetsSurviveAReopen) {
  {
    auto rules = Open();
    EventRule rule = Rule("failed", R"({"detail": {"status": ["FAILED"]}})");
    rule.description = "tell someone";
    rule.tags = json::array({{{"Key", "team"}, {"Value", "etl"}}});
    ASSERT_TRUE(rules->Put(rule).ok());
    ASSERT_TRUE(
        rules->PutTargets("failed", {{{"Id", "hook"}, {"Arn", "http://127.0.0.1:1/"}}}).ok());
    ASSERT_TRUE(rules->Put(Rule("off", R"({"source": ["x"]})")).ok());
    ASSERT_TRUE(rules->SetState("off", "DISABLED").ok());
  }
  auto rules = Open();
  ASSERT_TRUE(rules->Get("failed").has_value());
  EXPECT_EQ(rules->Get("failed")->description, "tell someone");
  EXPECT_EQ(rules->Get("failed")->tags[0]["Value"], "etl");
  EXPECT_EQ(rules->Get("off")->state, "DISABLED");
  EXPECT_EQ(rules->Match(kFailedJob).size(), 1u);
  EXPECT_EQ(std::filesystem::status(path_).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
}

TEST_F(EventRulesTest, AFileThatIsNotRulesIsAnError) {
  ASSERT_TRUE(std::system(("echo '[1]' > " + path_).c_str()) == 0);
  EXPECT_FALSE(EventRules::Open(path_).ok());
}

TEST(TargetInputTest, TheWholeEventOrWhatTheTargetSelects) {
  EXPECT_EQ(json::parse(TargetInput({{"Id", "t"}}, kFailedJob)), kFailedJob);
  EXPECT_EQ(TargetInput({{"Input", "{\"fixed\": 1}"}}, kFailedJob), "{\"fixed\": 1}");
  EXPECT_EQ(TargetInput({{"InputPath", "$.detail.jobId"}}, kFailedJob), "\"abc\"");
  EXPECT_EQ(json::parse(TargetInput({{"InputPath", "$.detail"}}, kFailedJob)),
            kFailedJob["detail"]);
  EXPECT_EQ(TargetInput({{"InputPath", "$.detail.nothing"}}, kFailedJob), "");
  json transformer = {{"InputPathsMap", {{"id", "$.detail.jobId"}, {"cpus", "$.detail.vcpus"}}},
                      {"InputTemplate", "{\"job\": \"<id>\", \"vcpus\": <cpus>, \"x\": \"<y>\"}"}};
  EXPECT_EQ(TargetInput({{"InputTransformer", transformer}}, kFailedJob),
            "{\"job\": \"abc\", \"vcpus\": 2, \"x\": \"<y>\"}");
}

TEST(TargetInputTest, ChecksAsPutTargetsDoes) {
  EXPECT_TRUE(CheckTargetInput({{"Id", "t"}}).ok());
  EXPECT_TRUE(CheckTargetInput({{"InputPath", "$.detail"}}).ok());
  EXPECT_FALSE(CheckTargetInput({{"InputPath", "detail"}}).ok());
  EXPECT_FALSE(CheckTargetInput({{"InputPath", "$..a"}}).ok());
  EXPECT_FALSE(CheckTargetInput({{"Input", "{not json"}}).ok());
  EXPECT_FALSE(CheckTargetInput({{"Input", "{}"}, {"InputPath", "$"}}).ok());
  EXPECT_FALSE(CheckTargetInput({{"InputTransformer", {{"InputPathsMap", {{"a", "$.x"}}}}}}).ok());
  EXPECT_FALSE(CheckTargetInput(
                   {{"InputTransformer", {{"InputTemplate", "x"}, {"InputPathsMap", {{"a", 1}}}}}})
                   .ok());
}

}  // namespace
}  // namespace gleaner
