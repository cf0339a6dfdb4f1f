#include <gtest/gtest.h>

#include "api/requests/batch_request_parser.h"
#include "api/requests/request_test_support.h"

namespace gleaner {
namespace {

using nlohmann::json;
using testing::ExpectEachAccepted;
using testing::ExpectEachRejected;
using testing::ExpectRejected;
using testing::NonObjectBodies;

TEST(ParseDescribeJobsTest, NeedsOneToOneHundredIds) {
  Result<DescribeJobsRequest> parsed = ParseDescribeJobs(json::parse(R"({"jobs": ["a", "b:1"]})"));
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->jobs, (std::vector<std::string>{"a", "b:1"}));
  EXPECT_TRUE(ParseDescribeJobs({{"jobs", std::vector<std::string>(100, "a")}}).ok());
  ExpectRejected(ParseDescribeJobs(json::object()), "jobs is required");
  ExpectRejected(ParseDescribeJobs(json::parse(R"({"jobs": []})")),
                 "jobs must have between 1 and 100 entries, got 0");
  ExpectRejected(ParseDescribeJobs({{"jobs", std::vector<std::string>(101, "a")}}),
                 "jobs must have between 1 and 100 entries, got 101");
  ExpectRejected(ParseDescribeJobs(json::parse(R"({"jobs": "a"})")),
                 "jobs must be a list of strings, got string \"a\"");
  ExpectRejected(ParseDescribeJobs(json::parse(R"({"jobs": [1]})")),
                 "jobs[0] must be a string, got number 1");
}

TEST(ParseListJobsTest, MapsScopeStatusFiltersAndPage) {
  Result<ListJobsRequest> parsed = ParseListJobs(json::parse(R"({
    "jobQueue": "high", "jobStatus": "SUCCEEDED", "maxResults": 1000, "nextToken": "t",
    "filters": [{"name": "AFTER_CREATED_AT", "values": ["1700000000000"]}]})"));
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  EXPECT_EQ(parsed->job_queue, "high");
  EXPECT_EQ(parsed->array_job_id, "");
  EXPECT_EQ(parsed->job_status, JobStatus::kSucceeded);
  ASSERT_EQ(parsed->filters.size(), 1u);
  EXPECT_EQ(parsed->filters[0].name, "AFTER_CREATED_AT");
  EXPECT_EQ(parsed->filters[0].values, std::vector<std::string>{"1700000000000"});
  EXPECT_EQ(parsed->page.max_results, 1000);
  EXPECT_EQ(parsed->page.next_token, "t");

  Result<ListJobsRequest> children = ParseListJobs(json::parse(R"({"arrayJobId": "p"})"));
  ASSERT_TRUE(children.ok());
  EXPECT_EQ(children->array_job_id, "p");
  EXPECT_FALSE(children->job_status);  // BatchState lists RUNNING
}

TEST(ParseListJobsTest, AcceptsEveryStatusAndFilter) {
  json base = json::parse(R"({"jobQueue": "q"})");
  ExpectEachAccepted(ParseListJobs, base,
                     {
                         R"({"jobStatus": "SUBMITTED"})",
                         R"({"jobStatus": "PENDING"})",
                         R"({"jobStatus": "RUNNABLE"})",
                         R"({"jobStatus": "STARTING"})",
                         R"({"jobStatus": "RUNNING"})",
                         R"({"jobStatus": "FAILED"})",
                         R"({"jobQueue": null, "multiNodeJobId": "m"})",
                         R"({"filters": [{"name": "JOB_NAME", "values": ["render*"]}]})",
                         R"({"filters": [{"name": "JOB_DEFINITION", "values": ["render:1"]}]})",
                         R"({"filters": [{"name": "BEFORE_CREATED_AT", "values": ["0"]}]})",
                         R"({"filters": [{"name": "SHARE_IDENTIFIER", "values": ["teamA"]}]})",
                         R"({"filters": []})",
                     });
}

TEST(ParseListJobsTest, RefusesBrokenRules) {
  ExpectEachRejected(
      ParseListJobs, json::parse(R"({"jobQueue": "q"})"),
      {
          {R"({"jobQueue": null})",
           "jobQueue, arrayJobId and multiNodeJobId are invalid: exactly one of them must be "
           "given, got none"},
          {R"({"arrayJobId": "a"})",
           "exactly one of them must be given, got jobQueue and arrayJobId"},
          {R"({"arrayJobId": "a", "multiNodeJobId": "m"})",
           "got jobQueue and arrayJobId and multiNodeJobId"},
          {R"({"jobQueue": ""})", "jobQueue \"\" is invalid: must not be empty"},
          {R"({"jobQueue": 1})", "jobQueue must be a string"},
          {R"({"jobStatus": "running"})",
           "jobStatus \"running\" is invalid: must be one of SUBMITTED, PENDING, RUNNABLE, "
           "STARTING, RUNNING, SUCCEEDED, FAILED"},
          {R"({"maxResults": 0})", "maxResults must be between 1 and 1000, got 0"},
          {R"({"maxResults": 1001})", "maxResults must be between 1 and 1000, got 1001"},
          {R"({"filters": {"name": "JOB_NAME"}})", "filters must be a list, got object"},
          {R"({"filters": [{"name": "JOB_NAME", "values": ["a"]},
              {"name": "SHARE_IDENTIFIER", "values": ["b"]}]})",
           "filters must have at most 1 entry, got 2"},
          {R"({"filters": [{"values": ["a"]}]})", "filters[0].name is required"},
          {R"({"filters": [{"name": "STATUS", "values": ["a"]}]})",
           "filters[0].name \"STATUS\" is invalid: must be one of JOB_NAME, JOB_DEFINITION, "
           "BEFORE_CREATED_AT, AFTER_CREATED_AT, SHARE_IDENTIFIER"},
          {R"({"filters": [{"name": "JOB_NAME"}]})", "filters[0].values is required"},
          {R"({"filters": [{"name": "JOB_NAME", "values": []}]})",
           "filters[0].values must have exactly 1 entry, got 0"},
          {R"({"filters": [{"name": "JOB_NAME", "values": ["a", "b"]}]})",
           "filters[0].values must have exactly 1 entry, got 2"},
          {R"({"filters": [{"name": "BEFORE_CREATED_AT", "values": ["2024-01-01"]}]})",
           "filters[0].values[0] \"2024-01-01\" is invalid: BEFORE_CREATED_AT takes a time in "
           "epoch milliseconds"},
          {R"({"filters": [{"name": "AFTER_CREATED_AT", "values": ["99999999999999999999"]}]})",
           "filters[0].values[0] \"99999999999999999999\" is invalid: AFTER_CREATED_AT"},
          {R"({"filters": [{"name": "AFTER_CREATED_AT", "values": ["-1"]}]})",
           "AFTER_CREATED_AT takes a time in epoch milliseconds"},
      });
}

TEST(ParseStopJobTest, CancelAndTerminateNeedJobIdAndReason) {
  for (auto parse : {ParseCancelJob, ParseTerminateJob}) {
    Result<StopJobRequest> parsed = parse(json::parse(R"({"jobId": "j1", "reason": "why"})"));
    ASSERT_TRUE(parsed.ok()) << parsed.status().message();
    EXPECT_EQ(parsed->job_id, "j1");
    EXPECT_EQ(parsed->reason, "why");
    ExpectEachRejected(parse, json::parse(R"({"jobId": "j1", "reason": "why"})"),
                       {
                           {R"({"jobId": null})", "jobId is required"},
                           {R"({"jobId": ""})", "jobId \"\" is invalid: must not be empty"},
                           {R"({"reason": null})", "reason is required"},
                           {R"({"reason": 5})", "reason must be a string, got number 5"},
                       });
    for (const json& body : NonObjectBodies()) {
      ExpectRejected(parse(body), "the request body must be an object");
    }
  }
}

TEST(TagOperationsTest, TagResourceBody) {
  Result<TagMap> tags = ParseTags(json::parse(R"({"tags": {"team": "a", "env": ""}})"));
  ASSERT_TRUE(tags.ok()) << tags.status().message();
  EXPECT_EQ(*tags, (TagMap{{"env", ""}, {"team", "a"}}));
  ExpectRejected(ParseTags(json::object()), "tags is required");
  ExpectRejected(ParseTags(json::parse(R"({"tags": {}})")),
                 "tags must have between 1 and 50 entries, got 0");
  ExpectRejected(ParseTags(json::parse(R"({"tags": {"aws:x": "1"}})")),
                 "tags key \"aws:x\" is invalid: tag keys starting with \"aws:\" are reserved");
  ExpectRejected(ParseTags(json::parse(R"({"tags": {"k": 1}})")),
                 "tags[\"k\"] must be a string, got number 1");
  ExpectRejected(ParseTags(json::parse(R"({"tags": [["k", "v"]]})")),
                 "tags must be an object of string values, got array");
  for (const json& body : NonObjectBodies()) {
    ExpectRejected(ParseTags(body), "the request body must be an object");
  }
}

TEST(TagOperationsTest, UntagKeysAndResourceArns) {
  EXPECT_TRUE(CheckTagKeys({"team", "env"}).ok());
  EXPECT_EQ(CheckTagKeys({}).message(), "tagKeys must have between 1 and 50 entries, got 0");
  EXPECT_EQ(CheckTagKeys(std::vector<std::string>(51, "k")).message(),
            "tagKeys must have between 1 and 50 entries, got 51");
  EXPECT_THAT(CheckTagKeys({"ok", ""}).message(),
              ::testing::HasSubstr("tagKeys[1] \"\" is invalid: tag keys must be 1-128"));
  EXPECT_THAT(CheckTagKeys({"aws:x"}).message(),
              ::testing::HasSubstr("tagKeys[0] \"aws:x\" is invalid"));

  EXPECT_TRUE(CheckResourceArn("arn:aws:batch:us-east-1:123456789012:job-queue/q").ok());
  EXPECT_THAT(CheckResourceArn("q").message(),
              ::testing::HasSubstr("resourceArn \"q\" is invalid: must be an ARN"));
  EXPECT_FALSE(CheckResourceArn("").ok());
}

TEST(PayloadSizeTest, AwsLimitsPerOperation) {
  EXPECT_TRUE(CheckPayloadSize("SubmitJob", 30720).ok());
  Status submit = CheckPayloadSize("SubmitJob", 30721);
  EXPECT_EQ(submit.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(submit.message(),
            "the SubmitJob request body is too large: must be at most 30720 bytes (30 KiB), got "
            "30721 bytes");
  EXPECT_TRUE(CheckPayloadSize("RegisterJobDefinition", 24576).ok());
  EXPECT_THAT(CheckPayloadSize("RegisterJobDefinition", 24577).message(),
              ::testing::HasSubstr("must be at most 24576 bytes (24 KiB)"));
  EXPECT_TRUE(CheckPayloadSize("CreateJobQueue", 1048576).ok());
  EXPECT_THAT(CheckPayloadSize("CreateJobQueue", 1048577).message(),
              ::testing::HasSubstr("must be at most 1048576 bytes (1 MiB)"));
}

TEST(MiscRequestsTest, RefuseNonObjectBodies) {
  for (const json& body : NonObjectBodies()) {
    SCOPED_TRACE(body.dump());
    ExpectRejected(ParseDescribeJobs(body), "the request body must be an object");
    ExpectRejected(ParseListJobs(body), "the request body must be an object");
  }
}

}  // namespace
}  // namespace gleaner
