#include <gtest/gtest.h>

#include "api/requests/batch_request_parser.h"
#include "api/requests/request_test_support.h"
#include "api/requests/sample_requests.h"

namespace gleaner {
namespace {

using nlohmann::json;
using testing::ExpectEachAccepted;
using testing::ExpectEachRejected;
using testing::ExpectRejected;
using testing::NonObjectBodies;

TEST(ParseCreateSchedulingPolicyTest, MapsTheFairsharePolicy) {
  Result<CreateSchedulingPolicyRequest> parsed =
      ParseCreateSchedulingPolicy(samples::FullCreateSchedulingPolicy());
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  EXPECT_EQ(parsed->name, "fair");
  EXPECT_EQ(parsed->tags, (TagMap{{"owner", "ops"}}));
  ASSERT_TRUE(parsed->fairshare_policy);
  const FairsharePolicy& policy = *parsed->fairshare_policy;
  EXPECT_EQ(policy.share_decay_seconds, 3600);
  EXPECT_EQ(policy.compute_reservation, 25);
  ASSERT_EQ(policy.share_distribution.size(), 2u);
  EXPECT_EQ(policy.share_distribution[0].share_identifier, "teamA");
  EXPECT_EQ(policy.share_distribution[0].weight_factor, 0.5);
  EXPECT_EQ(policy.share_distribution[1].share_identifier, "teamB*");
  EXPECT_FALSE(policy.share_distribution[1].weight_factor);

  Result<CreateSchedulingPolicyRequest> minimal =
      ParseCreateSchedulingPolicy(json::parse(R"({"name": "p"})"));
  ASSERT_TRUE(minimal.ok());
  EXPECT_FALSE(minimal->fairshare_policy);
}

TEST(ParseCreateSchedulingPolicyTest, AcceptsTheLimits) {
  ExpectEachAccepted(
      ParseCreateSchedulingPolicy, samples::FullCreateSchedulingPolicy(),
      {
          R"({"fairsharePolicy": {"shareDecaySeconds": 0, "computeReservation": 0}})",
          R"({"fairsharePolicy": {"shareDecaySeconds": 604800,
                             "computeReservation": 99}})",
          R"({"fairsharePolicy": {"shareDistribution": [
                             {"shareIdentifier": "a", "weightFactor": 0.0001},
                             {"shareIdentifier": "b", "weightFactor": 999.9999},
                             {"shareIdentifier": "c", "weightFactor": 1}]}})",
          R"({"fairsharePolicy": {}})",
      });
}

TEST(ParseCreateSchedulingPolicyTest, RefusesBrokenRules) {
  ExpectEachRejected(
      ParseCreateSchedulingPolicy, samples::FullCreateSchedulingPolicy(),
      {
          {R"({"name": null})", "name is required"},
          {R"({"name": "my policy"})", "name \"my policy\" is invalid"},
          {R"({"fairsharePolicy": 1})", "fairsharePolicy must be an object, got number 1"},
          {R"({"fairsharePolicy": {"shareDecaySeconds": -1}})",
           "fairsharePolicy.shareDecaySeconds must be between 0 and 604800, got -1"},
          {R"({"fairsharePolicy": {"shareDecaySeconds": 604801}})",
           "fairsharePolicy.shareDecaySeconds must be between 0 and 604800, got 604801"},
          {R"({"fairsharePolicy": {"computeReservation": 100}})",
           "fairsharePolicy.computeReservation must be between 0 and 99, got 100"},
          {R"({"fairsharePolicy": {"shareDistribution": {}}})",
           "fairsharePolicy.shareDistribution must be a list"},
          {R"({"fairsharePolicy": {"shareDistribution": [{"weightFactor": 1}]}})",
           "fairsharePolicy.shareDistribution[0].shareIdentifier is required"},
          {R"({"fairsharePolicy": {"shareDistribution": [{"shareIdentifier": "team-a"}]}})",
           "fairsharePolicy.shareDistribution[0].shareIdentifier \"team-a\" is invalid: must be "
           "1-255 letters and digits, optionally followed by a single '*'"},
          {R"({"fairsharePolicy": {"shareDistribution": [{"shareIdentifier": "a*b"}]}})",
           "shareIdentifier \"a*b\" is invalid"},
          {R"({"fairsharePolicy": {"shareDistribution": [
              {"shareIdentifier": "a", "weightFactor": 0}]}})",
           "fairsharePolicy.shareDistribution[0].weightFactor must be between 0.0001 and "
           "999.9999, got 0"},
          {R"({"fairsharePolicy": {"shareDistribution": [
              {"shareIdentifier": "a", "weightFactor": 1000}]}})",
           "weightFactor must be between 0.0001 and 999.9999, got 1000"},
          {R"({"fairsharePolicy": {"shareDistribution": [
              {"shareIdentifier": "a", "weightFactor": "1"}]}})",
           "weightFactor must be a number, got string \"1\""},
          {R"({"fairsharePolicy": {"shareDistribution": [
              {"shareIdentifier": "UserA*"}, {"shareIdentifier": "UserA1"}]}})",
           "fairsharePolicy.shareDistribution[1].shareIdentifier \"UserA1\" is invalid: overlaps "
           "\"UserA*\" of fairsharePolicy.shareDistribution[0]"},
          {R"({"fairsharePolicy": {"shareDistribution": [
              {"shareIdentifier": "x"}, {"shareIdentifier": "x"}]}})",
           "shareDistribution[1].shareIdentifier \"x\" is invalid: overlaps \"x\""},
          {R"({"tags": {"aws:x": "1"}})", "tags key \"aws:x\" is invalid"},
      });
  json too_many = samples::FullCreateSchedulingPolicy();
  json shares = json::array();
  for (int i = 0; i < 501; ++i) shares.push_back({{"shareIdentifier", "s" + std::to_string(i)}});
  too_many["fairsharePolicy"]["shareDistribution"] = shares;
  ExpectRejected(ParseCreateSchedulingPolicy(too_many),
                 "fairsharePolicy.shareDistribution must have at most 500 entries, got 501");
}

TEST(ParseUpdateSchedulingPolicyTest, MapsArnAndPolicy) {
  Result<UpdateSchedulingPolicyRequest> parsed = ParseUpdateSchedulingPolicy(json::parse(
      R"({"arn": "arn:aws:batch:r:1:scheduling-policy/p",
          "fairsharePolicy": {"shareDecaySeconds": 60}})"));
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  EXPECT_EQ(parsed->arn, "arn:aws:batch:r:1:scheduling-policy/p");
  ASSERT_TRUE(parsed->fairshare_policy);
  EXPECT_EQ(parsed->fairshare_policy->share_decay_seconds, 60);
  ExpectRejected(ParseUpdateSchedulingPolicy(json::object()), "arn is required");
  ExpectRejected(ParseUpdateSchedulingPolicy(json::parse(
                     R"({"arn": "a", "fairsharePolicy": {"computeReservation": 100}})")),
                 "fairsharePolicy.computeReservation must be between 0 and 99, got 100");
}

TEST(ParseDescribeSchedulingPoliciesTest, NeedsOneToOneHundredArns) {
  Result<DescribeSchedulingPoliciesRequest> parsed =
      ParseDescribeSchedulingPolicies(json::parse(R"({"arns": ["a", "b"]})"));
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->arns, (std::vector<std::string>{"a", "b"}));
  ExpectRejected(ParseDescribeSchedulingPolicies(json::object()), "arns is required");
  ExpectRejected(ParseDescribeSchedulingPolicies(json::parse(R"({"arns": []})")),
                 "arns must have between 1 and 100 entries, got 0");
  ExpectRejected(ParseDescribeSchedulingPolicies({{"arns", std::vector<std::string>(101, "a")}}),
                 "arns must have between 1 and 100 entries, got 101");
}

TEST(ParseListSchedulingPoliciesTest, Pages) {
  Result<ListSchedulingPoliciesRequest> parsed =
      ParseListSchedulingPolicies(json::parse(R"({"maxResults": 2, "nextToken": "x"})"));
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->page.max_results, 2);
  EXPECT_EQ(parsed->page.next_token, "x");
  ExpectRejected(ParseListSchedulingPolicies(json::parse(R"({"maxResults": 2.5})")),
                 "maxResults must be an integer, got number 2.5");
}

TEST(ParseDeleteSchedulingPolicyTest, NeedsAnArn) {
  Result<DeleteSchedulingPolicyRequest> parsed =
      ParseDeleteSchedulingPolicy(json::parse(R"({"arn": "a"})"));
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->arn, "a");
  ExpectRejected(ParseDeleteSchedulingPolicy(json::parse(R"({"arn": ""})")),
                 "arn \"\" is invalid: must not be empty");
}

TEST(ParseSchedulingPolicyRequestsTest, RefuseNonObjectBodies) {
  for (const json& body : NonObjectBodies()) {
    SCOPED_TRACE(body.dump());
    ExpectRejected(ParseCreateSchedulingPolicy(body), "the request body must be an object");
    ExpectRejected(ParseUpdateSchedulingPolicy(body), "the request body must be an object");
    ExpectRejected(ParseDescribeSchedulingPolicies(body), "the request body must be an object");
    ExpectRejected(ParseListSchedulingPolicies(body), "the request body must be an object");
    ExpectRejected(ParseDeleteSchedulingPolicy(body), "the request body must be an object");
  }
}

}  // namespace
}  // namespace gleaner
