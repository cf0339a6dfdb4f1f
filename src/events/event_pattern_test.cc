#include "events/event_pattern.h"

#include <gtest/gtest.h>

#include <string>

namespace gleaner {
namespace {

using nlohmann::json;

// A "Batch Job State Change" event as gleaner publishes it (detail trimmed).
json JobEvent(const std::string& status, int exit_code = 0) {
  return json::parse(R"({"version": "0", "id": "7f0f", "detail-type": "Batch Job State Change",
    "source": "aws.batch", "account": "123456789012", "time": "2026-12-07T10:00:00Z",
    "region": "us-east-1", "resources": ["arn:aws:batch:us-east-1:123456789012:job/abc"],
    "detail": {"jobName": "nightly-etl", "jobId": "abc", "status": ")" +
                     status + R"(", "attempts": [{"container": {"exitCode": )" +
                     std::to_string(exit_code) +
                     R"(}}], "tags": {"project": "genomics"}, "vcpus": 4,
    "container": {"networkInterfaces": [{"privateIpv4Address": "10.0.3.7"}]}}})");
}

bool Matches(const std::string& pattern, const json& event) {
  Result<EventPattern> parsed = EventPattern::Parse(pattern);
  EXPECT_TRUE(parsed.ok()) << pattern << ": " << parsed.status().message();
  return parsed.ok() && parsed->Matches(event);
}

std::string Refusal(const std::string& pattern) {
  Result<EventPattern> parsed = EventPattern::Parse(pattern);
  return parsed.ok() ? "accepted" : parsed.status().message();
}

TEST(EventPatternTest, TheReferenceTutorialsRuleIsValidAndMatchesOnlyItsOldDetailType) {
  // aws-batch-reference.txt's rule, verbatim: the detail type AWS used to send.
  const std::string pattern = R"({
    "source": ["aws.batch"],
    "detail-type": ["AWS Batch Job State Change"]
  })";
  EXPECT_FALSE(Matches(pattern, JobEvent("RUNNING")));
  EXPECT_TRUE(Matches(R"({"source": ["aws.batch"], "detail-type": ["Batch Job State Change"]})",
                      JobEvent("RUNNING")));
}

TEST(EventPatternTest, TheSpotTutorialsInterruptionRuleMatchesTerminateNoticesOnly) {
  const std::string pattern = R"({
"source": ["aws.ec2"],
"detail-type": ["EC2 Spot Instance Interruption Warning"],
"detail": {
"instance-action": ["terminate"]
}
})";
  json warning = {{"source", "aws.ec2"},
                  {"detail-type", "EC2 Spot Instance Interruption Warning"},
                  {"detail", {{"instance-id", "i-0abc"}, {"instance-action", "terminate"}}}};
  EXPECT_TRUE(Matches(pattern, warning));
  warning["detail"]["instance-action"] = "stop";
  EXPECT_FALSE(Matches(pattern, warning));
  EXPECT_FALSE(Matches(pattern, JobEvent("FAILED")));
}

TEST(EventPatternTest, ExactValuesKeepTheirTypes) {
  EXPECT_TRUE(Matches(R"({"detail": {"vcpus": [4]}})", JobEvent("RUNNING")));
  EXPECT_TRUE(Matches(R"({"detail": {"vcpus": [4.0]}})", JobEvent("RUNNING")));
  EXPECT_FALSE(Matches(R"({"detail": {"vcpus": ["4"]}})", JobEvent("RUNNING")));
  EXPECT_TRUE(Matches(R"({"detail": {"status": ["FAILED", "SUCCEEDED"]}})", JobEvent("FAILED")));
  EXPECT_FALSE(Matches(R"({"detail": {"status": ["failed"]}})", JobEvent("FAILED")));
  EXPECT_TRUE(Matches(R"({"a": [null]})", json{{"a", nullptr}}));
  EXPECT_FALSE(Matches(R"({"a": [null]})", json::object()));
  EXPECT_TRUE(Matches(R"({"a": [true]})", json{{"a", true}}));
  EXPECT_FALSE(Matches(R"({"a": [true]})", json{{"a", "true"}}));
}

TEST(EventPatternTest, ArraysInTheEventMatchWhenAnyElementDoes) {
  EXPECT_TRUE(Matches(R"({"resources": [{"suffix": "job/abc"}]})", JobEvent("RUNNING")));
  EXPECT_TRUE(Matches(R"({"detail": {"attempts": {"container": {"exitCode": [0]}}}})",
                      JobEvent("SUCCEEDED", 0)));
  EXPECT_FALSE(Matches(R"({"detail": {"attempts": {"container": {"exitCode": [0]}}}})",
                       JobEvent("FAILED", 1)));
}

TEST(EventPatternTest, StringOperators) {
  json event = JobEvent("RUNNING");
  EXPECT_TRUE(Matches(R"({"detail": {"jobName": [{"prefix": "nightly-"}]}})", event));
  EXPECT_FALSE(Matches(R"({"detail": {"jobName": [{"prefix": "weekly-"}]}})", event));
  EXPECT_TRUE(Matches(R"({"detail": {"jobName": [{"suffix": "-etl"}]}})", event));
  EXPECT_TRUE(Matches(R"({"detail": {"status": [{"equals-ignore-case": "running"}]}})", event));
  EXPECT_TRUE(Matches(R"({"detail": {"jobName": [{"wildcard": "n*t*-e*"}]}})", event));
  EXPECT_TRUE(Matches(R"({"detail": {"jobName": [{"wildcard": "*"}]}})", event));
  EXPECT_FALSE(Matches(R"({"detail": {"jobName": [{"wildcard": "*x*"}]}})", event));
  EXPECT_FALSE(Matches(R"({"detail": {"jobName": [{"wildcard": "nightly"}]}})", event));
  EXPECT_TRUE(Matches(R"({"a": [{"wildcard": "a\\*b"}]})", json{{"a", "a*b"}}));
  EXPECT_FALSE(Matches(R"({"a": [{"wildcard": "a\\*b"}]})", json{{"a", "axb"}}));
  // A string operator never matches a number.
  EXPECT_FALSE(Matches(R"({"detail": {"vcpus": [{"prefix": "4"}]}})", event));
}

TEST(EventPatternTest, AnythingBut) {
  json event = JobEvent("RUNNING");
  EXPECT_TRUE(Matches(R"({"detail": {"status": [{"anything-but": "FAILED"}]}})", event));
  EXPECT_FALSE(
      Matches(R"({"detail": {"status": [{"anything-but": ["RUNNING", "FAILED"]}]}})", event));
  EXPECT_FALSE(Matches(R"({"detail": {"status": [{"anything-but": {"prefix": "RUN"}}]}})", event));
  EXPECT_TRUE(Matches(R"({"detail": {"status": [{"anything-but": {"suffix": "ED"}}]}})", event));
  EXPECT_TRUE(Matches(R"({"detail": {"vcpus": [{"anything-but": [1, 2]}]}})", event));
  // The field must be there.
  EXPECT_FALSE(Matches(R"({"detail": {"missing": [{"anything-but": "x"}]}})", event));
}

TEST(EventPatternTest, NumericRanges) {
  json event = JobEvent("RUNNING");
  EXPECT_TRUE(Matches(R"({"detail": {"vcpus": [{"numeric": [">", 0, "<=", 4]}]}})", event));
  EXPECT_FALSE(Matches(R"({"detail": {"vcpus": [{"numeric": [">", 0, "<", 4]}]}})", event));
  EXPECT_TRUE(Matches(R"({"detail": {"vcpus": [{"numeric": ["=", 4]}]}})", event));
  EXPECT_TRUE(Matches(R"({"detail": {"vcpus": [{"numeric": [">=", 4]}]}})", event));
  EXPECT_FALSE(Matches(R"({"detail": {"jobName": [{"numeric": [">", 0]}]}})", event));
}

TEST(EventPatternTest, CidrAndExists) {
  json event = JobEvent("RUNNING");
  EXPECT_TRUE(Matches(
      R"({"detail": {"container": {"networkInterfaces": {"privateIpv4Address": [{"cidr": "10.0.0.0/16"}]}}}})",
      event));
  EXPECT_FALSE(Matches(
      R"({"detail": {"container": {"networkInterfaces": {"privateIpv4Address": [{"cidr": "10.1.0.0/16"}]}}}})",
      event));
  EXPECT_TRUE(Matches(R"({"a": [{"cidr": "2001:db8::/32"}]})", json{{"a", "2001:db8::1"}}));
  EXPECT_TRUE(Matches(R"({"detail": {"jobId": [{"exists": true}]}})", event));
  EXPECT_FALSE(Matches(R"({"detail": {"jobId": [{"exists": false}]}})", event));
  EXPECT_TRUE(Matches(R"({"detail": {"statusReason": [{"exists": false}]}})", event));
  EXPECT_TRUE(Matches(R"({"nothere": {"deeper": [{"exists": false}]}})", event));
  // An object is not a leaf: exists matches values only.
  EXPECT_FALSE(Matches(R"({"detail": {"tags": [{"exists": true}]}})", event));
}

TEST(EventPatternTest, OrNeedsOneBranch) {
  const std::string pattern = R"({"source": ["aws.batch"], "$or": [
      {"detail": {"status": ["FAILED"]}}, {"detail": {"tags": {"project": ["genomics"]}}}]})";
  EXPECT_TRUE(Matches(pattern, JobEvent("RUNNING")));
  json other = JobEvent("RUNNING");
  other["detail"]["tags"]["project"] = "render";
  EXPECT_FALSE(Matches(pattern, other));
  EXPECT_TRUE(Matches(pattern, JobEvent("FAILED")));
}

TEST(EventPatternTest, InvalidPatternsSayWhatAndWhere) {
  EXPECT_NE(Refusal(R"({"source": "aws.batch"})").find("source: the value must be an array"),
            std::string::npos);
  EXPECT_NE(Refusal(R"({"detail": {"status": []}})").find("detail.status: empty arrays"),
            std::string::npos);
  EXPECT_NE(Refusal(R"({"a": [{"bogus": 1}]})").find("unrecognized match type \"bogus\""),
            std::string::npos);
  EXPECT_NE(Refusal(R"({"a": [{"prefix": 1}]})").find("prefix takes a string"), std::string::npos);
  EXPECT_NE(Refusal(R"({"a": [{"numeric": ["<", 5, ">", 1]}]})").find("numeric"),
            std::string::npos);
  EXPECT_NE(Refusal(R"({"a": [{"numeric": [">", 5, "<", 1]}]})").find("lower bound"),
            std::string::npos);
  EXPECT_NE(Refusal(R"({"a": [{"wildcard": "a**b"}]})").find("consecutive"), std::string::npos);
  EXPECT_NE(Refusal(R"({"a": [{"cidr": "10.0.0.0/33"}]})").find("too long"), std::string::npos);
  EXPECT_NE(Refusal(R"({"a": [{"exists": "yes"}]})").find("exists takes"), std::string::npos);
  EXPECT_NE(Refusal(R"({"$or": [{"a": ["b"]}]})").find("two or more"), std::string::npos);
  EXPECT_NE(Refusal(R"({"a": [{"anything-but": ["x", 1]}]})").find("all strings or all numbers"),
            std::string::npos);
  EXPECT_NE(Refusal(R"({"a": [{"prefix": "x", "suffix": "y"}]})").find("one operator"),
            std::string::npos);
  EXPECT_NE(Refusal("[1]").find("must be a JSON object"), std::string::npos);
  EXPECT_NE(Refusal("{}").find("empty"), std::string::npos);
  EXPECT_NE(Refusal("{\"a\": [1]} x").find("not valid JSON"), std::string::npos);
  std::string deep = "1";
  for (int i = 0; i < 100; ++i) deep = "{\"a\": " + (i == 0 ? "[" + deep + "]" : deep) + "}";
  EXPECT_NE(Refusal(deep).find("nests too deeply"), std::string::npos);
}

}  // namespace
}  // namespace gleaner
