#include "server/event_log.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>

#include "server/server_test_support.h"

namespace gleaner {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kDay = 86'400'000;
constexpr EpochMillis kNoonOfNov1 = 1'793'534'400'000;  // 2026-11-01T12:00:00Z

int Lines(const fs::path& path) {
  std::ifstream file(path);
  int count = 0;
  for (std::string line; std::getline(file, line);) ++count;
  return count;
}

class EventLogTest : public ::testing::Test {
 protected:
  EventLogTest() : clock_(kNoonOfNov1), state_(clock_, BatchStateOptions{}) {
    directory_ = fs::path(::testing::TempDir()) / ("event_log_" + std::to_string(getpid()));
    fs::remove_all(directory_);
    fs::create_directories(directory_);
    EXPECT_TRUE(server_test::CreateSmallWorld(state_).ok());
    (void)state_.TakeChanges();
  }
  ~EventLogTest() override { fs::remove_all(directory_); }

  // A job submitted now: one "Batch Job State Change" to publish.
  void PublishOneEvent(EventLog& log) {
    ASSERT_TRUE(state_.SubmitJob(server_test::SmallJob("job")).ok());
    std::function<void()> publish = log.Observe(state_, state_.TakeChanges(), nullptr);
    ASSERT_TRUE(publish);
    publish();
  }

  fs::path directory_;
  FakeClock clock_;
  BatchState state_;
};

TEST_F(EventLogTest, EventsAreVisibleOnlyOncePublished) {
  EventLog log(clock_, {"us-east-1", "123456789012"}, (directory_ / "events.jsonl").string(), 1,
               7 * kDay);
  ASSERT_TRUE(state_.SubmitJob(server_test::SmallJob("job")).ok());
  std::function<void()> publish = log.Observe(state_, state_.TakeChanges(), nullptr);
  EXPECT_TRUE(log.Since(0, 10).empty());  // its change is not durable yet
  EXPECT_EQ(Lines(directory_ / "events.jsonl"), 0);
  publish();
  EXPECT_EQ(log.Since(0, 10).size(), 1u);
  EXPECT_EQ(Lines(directory_ / "events.jsonl"), 1);
}

TEST_F(EventLogTest, AQueueWhoseHeadCannotRunIsToldBlockedOnce) {
  EventLog log(clock_, {"us-east-1", "123456789012"}, (directory_ / "events.jsonl").string(), 1,
               7 * kDay);
  SubmitJobRequest too_big = server_test::SmallJob("too-big");
  too_big.container_overrides = ContainerOverrides{};
  too_big.container_overrides->resource_requirements = {{"VCPU", "32"}};  // the CE has 16
  Result<const Job*> job = state_.SubmitJob(too_big);
  ASSERT_TRUE(job.ok());
  std::string job_id = (*job)->job_id;
  for (int pass = 0; pass < 3; ++pass) {
    (void)state_.Schedule();
    if (std::function<void()> publish = log.Observe(state_, state_.TakeChanges(), nullptr)) {
      publish();
    }
  }
  ASSERT_EQ(state_.StatusOf(job_id), JobStatus::kRunnable);
  std::vector<nlohmann::json> blocked;
  for (nlohmann::json& event : log.Since(0, 100)) {
    if (event["detail-type"] == "Batch Job Queue Blocked") blocked.push_back(event);
  }
  ASSERT_EQ(blocked.size(), 1u) << "told once, not at every pass";
  EXPECT_EQ(blocked[0]["source"], "aws.batch");
  EXPECT_EQ(blocked[0]["detail"]["jobId"], job_id);
  EXPECT_EQ(blocked[0]["detail"]["status"], "RUNNABLE");
  EXPECT_TRUE(blocked[0]["detail"]["statusReason"].get<std::string>().starts_with(
      "MISCONFIGURATION:COMPUTE_ENVIRONMENT_MAX_RESOURCE"));
  ASSERT_EQ(blocked[0]["resources"].size(), 2u);
  EXPECT_EQ(blocked[0]["resources"][1], state_.FindJobQueue("q")->arn);
}

// Keeps what is written to it; ends when told to.
class RecordingStream : public ResponseStream {
 public:
  bool Write(std::string chunk) override {
    std::lock_guard lock(mutex_);
    if (ended_) return false;
    text_ += chunk;
    return true;
  }
  void Close() override { End(); }
  void End() {
    std::lock_guard lock(mutex_);
    ended_ = true;
  }
  std::string Text() {
    std::lock_guard lock(mutex_);
    return text_;
  }

 private:
  std::mutex mutex_;
  std::string text_;
  bool ended_ = false;
};

size_t Count(const std::string& text, const std::string& needle) {
  size_t count = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
    ++count;
  }
  return count;
}

TEST_F(EventLogTest, AFollowerGetsTheEventsAfterItsIdThenEachOnePublished) {
  EventLog log(clock_, {"us-east-1", "123456789012"}, (directory_ / "events.jsonl").string(), 1,
               7 * kDay);
  PublishOneEvent(log);
  PublishOneEvent(log);
  std::vector<nlohmann::json> kept = log.Since(0, 10);
  ASSERT_EQ(kept.size(), 2u);
  uint64_t first = kept[0]["gleanerSequence"].get<uint64_t>();
  auto stream = std::make_shared<RecordingStream>();
  log.Follow(first, stream);  // resumes after the first: the second, then what comes
  PublishOneEvent(log);
  std::string text = stream->Text();
  EXPECT_TRUE(text.starts_with("retry: 2000\n\n")) << text;
  EXPECT_EQ(Count(text, "\ndata: {"), 2u);
  EXPECT_NE(text.find("id: " + std::to_string(first + 1) + "\ndata: "), std::string::npos);
  EXPECT_NE(text.find("id: " + std::to_string(first + 2) + "\ndata: "), std::string::npos);
  EXPECT_EQ(text.find("id: " + std::to_string(first) + "\n"), std::string::npos);
  stream->End();  // the client left: the log lets go of it
  PublishOneEvent(log);
  EXPECT_EQ(Count(stream->Text(), "\ndata: {"), 2u);
}

TEST_F(EventLogTest, SequenceNumbersKeepGrowingAcrossRestarts) {
  uint64_t before = 0;
  {
    EventLog log(clock_, {"us-east-1", "123456789012"}, (directory_ / "events.jsonl").string(), 1,
                 7 * kDay);
    PublishOneEvent(log);
    PublishOneEvent(log);
    before = log.Since(0, 10).back()["gleanerSequence"].get<uint64_t>();
  }
  clock_.Advance(1);  // the restart takes a millisecond at least
  EventLog log(clock_, {"us-east-1", "123456789012"}, (directory_ / "events.jsonl").string(), 1,
               7 * kDay);
  PublishOneEvent(log);
  EXPECT_GT(log.Since(0, 10).front()["gleanerSequence"].get<uint64_t>(), before);
}

TEST_F(EventLogTest, TheFileRotatesDailyAndGoesAfterTheRetention) {
  EventLog log(clock_, {"us-east-1", "123456789012"}, (directory_ / "events.jsonl").string(), 1,
               2 * kDay);
  PublishOneEvent(log);
  clock_.Advance(kDay);  // Nov 2
  PublishOneEvent(log);
  EXPECT_EQ(Lines(directory_ / "events-2026-11-01.jsonl"), 1);
  EXPECT_EQ(Lines(directory_ / "events.jsonl"), 1);
  struct stat info {};
  ASSERT_EQ(stat((directory_ / "events.jsonl").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  clock_.Advance(kDay);  // Nov 3: Nov 1 ended 1.5 days ago, within 2 days
  PublishOneEvent(log);
  EXPECT_TRUE(fs::exists(directory_ / "events-2026-11-01.jsonl"));
  EXPECT_TRUE(fs::exists(directory_ / "events-2026-11-02.jsonl"));
  clock_.Advance(kDay);  // Nov 4, noon: Nov 1 ended 2.5 days ago
  PublishOneEvent(log);
  EXPECT_FALSE(fs::exists(directory_ / "events-2026-11-01.jsonl"));
  EXPECT_TRUE(fs::exists(directory_ / "events-2026-11-02.jsonl"));
  EXPECT_EQ(log.Since(0, 10).size(), 4u);  // what is kept in memory is another matter
}

TEST_F(EventLogTest, AFileLeftFromAnEarlierDayIsRotatedAtStart) {
  {
    EventLog log(clock_, {"us-east-1", "123456789012"}, (directory_ / "events.jsonl").string(), 1,
                 2 * kDay);
    PublishOneEvent(log);
  }
  // Written on the fake day, as far as the file system can tell.
  struct timespec times[2] = {{kNoonOfNov1 / 1000, 0}, {kNoonOfNov1 / 1000, 0}};
  ASSERT_EQ(utimensat(AT_FDCWD, (directory_ / "events.jsonl").c_str(), times, 0), 0);
  clock_.Advance(kDay);
  EventLog restarted(clock_, {"us-east-1", "123456789012"}, (directory_ / "events.jsonl").string(),
                     1, 2 * kDay);
  EXPECT_EQ(Lines(directory_ / "events-2026-11-01.jsonl"), 1);
  EXPECT_EQ(Lines(directory_ / "events.jsonl"), 0);
}

}  // namespace
}  // namespace gleaner
