#include "server/event_rule_delivery.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <vector>

#include "api/batch_executor.h"
#include "api/http_server.h"
#include "events/event_rules.h"
#include "model/json_text.h"

namespace gleaner {
namespace {

using nlohmann::json;

// Answers every command with `answer` without running it, counting them.
class AnsweringExecutor : public BatchExecutor {
 public:
  explicit AnsweringExecutor(Result<json> answer) : answer_(std::move(answer)) {}
  void Execute(BatchCommand, BatchReply reply) override {
    ++commands;
    reply(answer_);
  }
  std::atomic<int> commands{0};

 private:
  Result<json> answer_;
};

// An HTTP endpoint that answers the statuses given, in turn (the last one from then on).
class Endpoint {
 public:
  explicit Endpoint(std::vector<int> statuses) : statuses_(std::move(statuses)) {
    auto server =
        StartHttpServer(HttpServerOptions{}, [this](HttpRequest&& request, Responder respond) {
          HttpResponse response;
          {
            std::lock_guard lock(mutex_);
            received_.push_back(request);
            response.status = statuses_[std::min(received_.size(), statuses_.size()) - 1];
          }
          respond(response);
        });
    EXPECT_TRUE(server.ok());
    server_ = std::move(*server);
  }
  ~Endpoint() { server_->Stop(); }
  std::string Url() const { return "http://127.0.0.1:" + std::to_string(server_->port()); }
  std::vector<HttpRequest> Received() {
    std::lock_guard lock(mutex_);
    return received_;
  }

 private:
  std::vector<int> statuses_;
  std::mutex mutex_;
  std::vector<HttpRequest> received_;
  std::unique_ptr<HttpServer> server_;
};

const json kBatchTarget = {
    {"Id", "jobs"},
    {"Arn", "arn:aws:batch:us-east-1:1:job-queue/q"},
    {"BatchParameters", {{"JobDefinition", "d"}, {"JobName", "from-event"}}}};
const json kEvent = {{"source", "my.app"}, {"detail-type", "ping"}, {"detail", {{"n", 7}}}};

class EventRuleDeliveryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/event-delivery-test-XXXXXX";
    directory_ = mkdtemp(pattern);
    rules_ = std::move(EventRules::Open("")).value();
    EventRule rule;
    rule.name = "app";
    rule.event_pattern = R"({"source": ["my.app"]})";
    ASSERT_TRUE(rules_->Put(rule).ok());
  }
  void TearDown() override { std::filesystem::remove_all(directory_); }
  std::string DeadLetters() {
    std::ifstream file(directory_ + "/dead-letters.jsonl");
    return std::string(std::istreambuf_iterator<char>(file), {});
  }
  void Deliver(BatchExecutor& executor, const std::vector<json>& events) {
    EventRuleDelivery delivery(clock_, *rules_, executor, directory_ + "/dead-letters.jsonl",
                               /*first_backoff_millis=*/5);
    delivery.Enqueue(events);
    delivery.Drain();
  }

  SystemClock clock_;
  std::string directory_;
  std::unique_ptr<EventRules> rules_;
  AnsweringExecutor executor_{json{{"jobId", "j"}}};
};

TEST_F(EventRuleDeliveryTest, PostsTheTargetsInputWithItsHeadersAndQuery) {
  Endpoint endpoint({200});
  ASSERT_TRUE(rules_
                  ->PutTargets("app", {{{"Id", "hook"},
                                        {"Arn", endpoint.Url() + "/in?a=1"},
                                        {"InputPath", "$.detail"},
                                        {"HttpParameters",
                                         {{"HeaderParameters", {{"X-Key", "k"}}},
                                          {"QueryStringParameters", {{"b", "2"}}}}}}})
                  .ok());
  json other = kEvent;
  other["source"] = "someone.else";
  Deliver(executor_, {kEvent, other});
  std::vector<HttpRequest> received = endpoint.Received();
  ASSERT_EQ(received.size(), 1u);
  EXPECT_EQ(received[0].method, "POST");
  EXPECT_EQ(received[0].path, "/in");
  EXPECT_EQ(received[0].query, "a=1&b=2");
  EXPECT_EQ(received[0].headers["x-key"], "k");
  EXPECT_EQ(received[0].headers["content-type"], "application/json");
  EXPECT_EQ(json::parse(received[0].body), kEvent["detail"]);
  EXPECT_EQ(DeadLetters(), "");
}

TEST_F(EventRuleDeliveryTest, RetriesServerErrorsUntilTheEndpointTakesIt) {
  Endpoint endpoint({503, 429, 200});
  ASSERT_TRUE(rules_->PutTargets("app", {{{"Id", "hook"}, {"Arn", endpoint.Url()}}}).ok());
  Deliver(executor_, {kEvent});
  EXPECT_EQ(endpoint.Received().size(), 3u);
  EXPECT_EQ(DeadLetters(), "");
}

TEST_F(EventRuleDeliveryTest, GivesUpAfterTheRetryPolicyAndWritesADeadLetter) {
  Endpoint endpoint({500});
  ASSERT_TRUE(rules_
                  ->PutTargets("app", {{{"Id", "hook"},
                                        {"Arn", endpoint.Url()},
                                        {"RetryPolicy", {{"MaximumRetryAttempts", 2}}}}})
                  .ok());
  Deliver(executor_, {kEvent});
  EXPECT_EQ(endpoint.Received().size(), 3u);
  json letter = json::parse(DeadLetters());
  EXPECT_EQ(letter["rule"], "app");
  EXPECT_EQ(letter["targetId"], "hook");
  EXPECT_EQ(letter["reason"], "the endpoint answered HTTP 500 (after 3 tries)");
  EXPECT_EQ(letter["event"], kEvent);
  struct stat info {};
  ASSERT_EQ(stat((directory_ + "/dead-letters.jsonl").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
}

TEST_F(EventRuleDeliveryTest, AClientErrorIsNotRetried) {
  Endpoint endpoint({404});
  ASSERT_TRUE(rules_->PutTargets("app", {{{"Id", "hook"}, {"Arn", endpoint.Url()}}}).ok());
  Deliver(executor_, {kEvent});
  EXPECT_EQ(endpoint.Received().size(), 1u);
  EXPECT_NE(DeadLetters().find("HTTP 404 (after 1 try)"), std::string::npos);
}

TEST_F(EventRuleDeliveryTest, AnEndpointThatIsNotThereIsRetriedThenDeadLettered) {
  ASSERT_TRUE(rules_
                  ->PutTargets("app", {{{"Id", "hook"},
                                        {"Arn", "http://127.0.0.1:9/nothing"},
                                        {"RetryPolicy", {{"MaximumRetryAttempts", 1}}}}})
                  .ok());
  Deliver(executor_, {kEvent});
  EXPECT_NE(DeadLetters().find("cannot connect"), std::string::npos);
  EXPECT_NE(DeadLetters().find("(after 2 tries)"), std::string::npos);
}

TEST_F(EventRuleDeliveryTest, ABatchTargetSubmitsOneJobPerEvent) {
  ASSERT_TRUE(rules_->PutTargets("app", {kBatchTarget}).ok());
  Deliver(executor_, {kEvent, kEvent});
  EXPECT_EQ(executor_.commands, 2);
  EXPECT_EQ(DeadLetters(), "");
}

TEST_F(EventRuleDeliveryTest, ARefusedSubmissionIsDeadLetteredAtOnce) {
  AnsweringExecutor refusing(Status::InvalidArgument("Job queue q does not exist"));
  ASSERT_TRUE(rules_->PutTargets("app", {kBatchTarget}).ok());
  Deliver(refusing, {kEvent});
  EXPECT_EQ(refusing.commands, 1);
  EXPECT_NE(DeadLetters().find("SubmitJob failed: Job queue q does not exist (after 1 try)"),
            std::string::npos);
}

}  // namespace
}  // namespace gleaner

namespace gleaner {
namespace {

TEST_F(EventRuleDeliveryTest, ADeliveryNotDoneWhenItStopsIsDoneAfterTheRestart) {
  Endpoint endpoint({503, 200});
  ASSERT_TRUE(rules_->PutTargets("app", {{{"Id", "hook"}, {"Arn", endpoint.Url()}}}).ok());
  const std::string journal = directory_ + "/deliveries.jsonl";
  {
    // Stopped at once: the delivery is untried, or tried once (503) and waiting a minute.
    EventRuleDelivery first(clock_, *rules_, executor_, directory_ + "/dead-letters.jsonl",
                            /*first_backoff_millis=*/60'000, journal);
    first.Enqueue({kEvent});
  }
  {
    EventRuleDelivery second(clock_, *rules_, executor_, directory_ + "/dead-letters.jsonl",
                             /*first_backoff_millis=*/5, journal);
    EXPECT_EQ(second.Outstanding(), 1u);
    second.Drain();
  }
  std::vector<HttpRequest> received = endpoint.Received();
  ASSERT_GE(received.size(), 1u);
  EXPECT_EQ(json::parse(received.back().body), kEvent);
  EXPECT_EQ(DeadLetters(), "");
  // Done is done: a third start finds nothing to deliver.
  EventRuleDelivery third(clock_, *rules_, executor_, directory_ + "/dead-letters.jsonl", 5,
                          journal);
  EXPECT_EQ(third.Outstanding(), 0u);
}

TEST_F(EventRuleDeliveryTest, AJournalLineTornByACrashIsIgnored) {
  ASSERT_TRUE(rules_->PutTargets("app", {kBatchTarget}).ok());
  const std::string journal = directory_ + "/deliveries.jsonl";
  std::ofstream(journal) << R"({"open":"e/app/jobs","rule":"app","target":)" << kBatchTarget.dump()
                         << R"(,"event":{"id":"e"},"firstTried":1})"
                         << "\n"
                         << R"({"done":"e/app/jo)";
  EventRuleDelivery delivery(clock_, *rules_, executor_, directory_ + "/dead-letters.jsonl", 5,
                             journal);
  delivery.Drain();
  EXPECT_EQ(executor_.commands, 1);  // the open delivery, submitted once
}

}  // namespace
}  // namespace gleaner
