#include "server/event_log.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
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
