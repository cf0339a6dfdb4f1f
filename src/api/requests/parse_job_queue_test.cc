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

TEST(ParseCreateJobQueueTest, MapsFieldsAndSortsComputeEnvironmentsByOrder) {
  Result<CreateJobQueueRequest> parsed = ParseCreateJobQueue(samples::FullCreateJobQueue());
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  EXPECT_EQ(parsed->name, "high");
  EXPECT_EQ(parsed->state, ResourceState::kEnabled);
  EXPECT_EQ(parsed->priority, 10);
  EXPECT_EQ(parsed->scheduling_policy_arn,
            "arn:aws:batch:us-east-1:123456789012:scheduling-policy/fair");
  ASSERT_EQ(parsed->compute_environment_order.size(), 2u);
  EXPECT_EQ(parsed->compute_environment_order[0].order, 1);
  EXPECT_EQ(parsed->compute_environment_order[0].compute_environment,
            "arn:aws:batch:us-east-1:123456789012:compute-environment/od");
  EXPECT_EQ(parsed->compute_environment_order[1].compute_environment, "spot");
  EXPECT_EQ(parsed->tags, (TagMap{{"team", "a"}}));
}

TEST(ParseCreateJobQueueTest, MinimalRequestDefaultsToEnabled) {
  Result<CreateJobQueueRequest> parsed = ParseCreateJobQueue(json::parse(R"({
    "jobQueueName": "q", "priority": 0,
    "computeEnvironmentOrder": [{"order": 1, "computeEnvironment": "ce"}]})"));
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  EXPECT_EQ(parsed->state, ResourceState::kEnabled);
  EXPECT_EQ(parsed->scheduling_policy_arn, "");
  EXPECT_TRUE(parsed->tags.empty());
}

TEST(ParseCreateJobQueueTest, AcceptsWhatAwsAccepts) {
  ExpectEachAccepted(ParseCreateJobQueue, samples::FullCreateJobQueue(),
                     {
                         R"({"priority": 1000})",
                         R"({"state": "DISABLED", "schedulingPolicyArn": null})",
                         R"({"jobStateTimeLimitActions": [{"reason": "CAPACITY:X",
                             "state": "RUNNABLE", "maxTimeSeconds": 600, "action": "CANCEL"}]})",
                         R"({"computeEnvironmentOrder": [{"order": 1, "computeEnvironment": "a"},
                             {"order": 2, "computeEnvironment": "b"},
                             {"order": 3, "computeEnvironment": "c"}]})",
                     });
}

TEST(ParseCreateJobQueueTest, RefusesBrokenRules) {
  ExpectEachRejected(
      ParseCreateJobQueue, samples::FullCreateJobQueue(),
      {
          {R"({"jobQueueName": null})", "jobQueueName is required"},
          {R"({"jobStateTimeLimitActions": [{"reason": "r"}]})",
           "jobStateTimeLimitActions[0].state is required"},
          {R"({"jobStateTimeLimitActions": [{"reason": "r", "state": "RUNNABLE",
              "maxTimeSeconds": 599, "action": "CANCEL"}]})",
           "jobStateTimeLimitActions[0].maxTimeSeconds"},
          {R"({"jobStateTimeLimitActions": [{"reason": "r", "state": "RUNNABLE",
              "maxTimeSeconds": 600, "action": "TERMINATE"}]})",
           "jobStateTimeLimitActions[0].action"},
          {R"({"jobQueueName": "q/1"})", "jobQueueName \"q/1\" is invalid"},
          {R"({"state": "enabled"})", "state \"enabled\" is invalid"},
          {R"({"priority": null})", "priority is required"},
          {R"({"priority": -1})", "priority must be between 0 and 1000, got -1"},
          {R"({"priority": 1001})", "priority must be between 0 and 1000, got 1001"},
          {R"({"priority": "1"})", "priority must be an integer"},
          {R"({"schedulingPolicyArn": ""})", "schedulingPolicyArn \"\" is invalid"},
          {R"({"computeEnvironmentOrder": null})", "computeEnvironmentOrder is required"},
          {R"({"computeEnvironmentOrder": {}})",
           "computeEnvironmentOrder must be a list, got object"},
          {R"({"computeEnvironmentOrder": []})",
           "computeEnvironmentOrder must have between 1 and 3 entries, got 0"},
          {R"({"computeEnvironmentOrder": [{"order": 1, "computeEnvironment": "a"},
              {"order": 2, "computeEnvironment": "b"}, {"order": 3, "computeEnvironment": "c"},
              {"order": 4, "computeEnvironment": "d"}]})",
           "computeEnvironmentOrder must have between 1 and 3 entries, got 4"},
          {R"({"computeEnvironmentOrder": ["ce"]})",
           "computeEnvironmentOrder[0] must be an object, got string"},
          {R"({"computeEnvironmentOrder": [{"computeEnvironment": "a"}]})",
           "computeEnvironmentOrder[0].order is required"},
          {R"({"computeEnvironmentOrder": [{"order": 1}]})",
           "computeEnvironmentOrder[0].computeEnvironment is required"},
          {R"({"computeEnvironmentOrder": [{"order": 1, "computeEnvironment": "a"},
              {"order": 1, "computeEnvironment": "b"}]})",
           "computeEnvironmentOrder[1].order \"1\" is invalid: each order may appear only once"},
          {R"({"computeEnvironmentOrder": [{"order": 1, "computeEnvironment": "a"},
              {"order": 2, "computeEnvironment": "a"}]})",
           "computeEnvironmentOrder[1].computeEnvironment \"a\" is invalid: each compute "
           "environment may appear only once"},
          {R"({"tags": {"aws:x": "y"}})", "tags key \"aws:x\" is invalid"},
      });
}

TEST(ParseUpdateJobQueueTest, MapsOnlyWhatIsGiven) {
  Result<UpdateJobQueueRequest> minimal =
      ParseUpdateJobQueue(json::parse(R"({"jobQueue": "high"})"));
  ASSERT_TRUE(minimal.ok()) << minimal.status().message();
  EXPECT_EQ(minimal->job_queue, "high");
  EXPECT_FALSE(minimal->state);
  EXPECT_FALSE(minimal->priority);
  EXPECT_FALSE(minimal->scheduling_policy_arn);
  EXPECT_FALSE(minimal->compute_environment_order);

  Result<UpdateJobQueueRequest> full = ParseUpdateJobQueue(json::parse(R"({
    "jobQueue": "high", "state": "DISABLED", "priority": 5, "schedulingPolicyArn": "p",
    "computeEnvironmentOrder": [{"order": 3, "computeEnvironment": "b"},
                                {"order": 1, "computeEnvironment": "a"}]})"));
  ASSERT_TRUE(full.ok()) << full.status().message();
  EXPECT_EQ(full->state, ResourceState::kDisabled);
  EXPECT_EQ(full->priority, 5);
  EXPECT_EQ(full->scheduling_policy_arn, "p");
  ASSERT_TRUE(full->compute_environment_order);
  EXPECT_EQ((*full->compute_environment_order)[0].compute_environment, "a");
}

TEST(ParseUpdateJobQueueTest, RefusesBrokenRules) {
  ExpectEachRejected(ParseUpdateJobQueue, json::parse(R"({"jobQueue": "q"})"),
                     {
                         {R"({"jobQueue": null})", "jobQueue is required"},
                         {R"({"jobQueue": 7})", "jobQueue must be a string, got number 7"},
                         {R"({"state": "OFF"})", "state \"OFF\" is invalid"},
                         {R"({"priority": 5000})", "priority must be between 0 and 1000, got 5000"},
                         {R"({"schedulingPolicyArn": ""})", "schedulingPolicyArn \"\" is invalid"},
                         {R"({"computeEnvironmentOrder": []})",
                          "computeEnvironmentOrder must have between 1 and 3 entries, got 0"},
                     });
}

TEST(ParseDescribeJobQueuesTest, ListsAndPages) {
  Result<DescribeJobQueuesRequest> parsed =
      ParseDescribeJobQueues(json::parse(R"({"jobQueues": ["a"], "maxResults": 5})"));
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->job_queues, std::vector<std::string>{"a"});
  EXPECT_EQ(parsed->page.max_results, 5);
  ExpectRejected(ParseDescribeJobQueues(json::parse(R"({"jobQueues": [1]})")),
                 "jobQueues[0] must be a string");
  ExpectRejected(ParseDescribeJobQueues({{"jobQueues", std::vector<std::string>(101, "q")}}),
                 "jobQueues must have at most 100 entries, got 101");
  ExpectRejected(ParseDescribeJobQueues(json::parse(R"({"maxResults": -2})")),
                 "maxResults must be between 1 and 1000, got -2");
}

TEST(ParseDeleteJobQueueTest, NeedsAName) {
  Result<DeleteJobQueueRequest> parsed = ParseDeleteJobQueue(json::parse(R"({"jobQueue": "q"})"));
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->job_queue, "q");
  ExpectRejected(ParseDeleteJobQueue(json::object()), "jobQueue is required");
}

TEST(ParseJobQueueRequestsTest, RefuseNonObjectBodies) {
  for (const json& body : NonObjectBodies()) {
    SCOPED_TRACE(body.dump());
    ExpectRejected(ParseCreateJobQueue(body), "the request body must be an object");
    ExpectRejected(ParseUpdateJobQueue(body), "the request body must be an object");
    ExpectRejected(ParseDescribeJobQueues(body), "the request body must be an object");
    ExpectRejected(ParseDeleteJobQueue(body), "the request body must be an object");
  }
}

}  // namespace
}  // namespace gleaner
