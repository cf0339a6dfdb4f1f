#include "agent/work_directory.h"

#include <stdlib.h>

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

namespace gleaner {
namespace {

namespace fs = std::filesystem;

class WorkDirectoryTest : public testing::Test {
 protected:
  WorkDirectoryTest() {
    std::string pattern = (fs::temp_directory_path() / "gleaner-work-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) std::abort();
    directory_ = pattern;
  }
  ~WorkDirectoryTest() override {
    std::error_code ignored;
    fs::remove_all(directory_, ignored);
  }

  fs::path directory_;
};

AttemptRecord Record(const std::string& job_id, int attempt) {
  return {.key = {.job_id = job_id, .attempt = attempt},
          .pid = 10,
          .start_ticks = 20,
          .log_stream_name = "def/default/" + job_id,
          .log_offset = 0,
          .container_name = "",
          .image = ""};
}

TEST_F(WorkDirectoryTest, CreatesItsLayout) {
  WorkDirectory work((directory_ / "nested" / "agent").string());
  ASSERT_TRUE(work.Create().ok());
  for (const char* sub : {"attempts", "logs", "work", "containers"}) {
    EXPECT_TRUE(fs::is_directory(directory_ / "nested" / "agent" / sub)) << sub;
  }
  EXPECT_EQ(work.WorkingDirectory({"job:1#0", 2}),
            (directory_ / "nested" / "agent" / "work" / "job%3A1%230.2").string());
  EXPECT_EQ(work.LogPath("a/b"), (directory_ / "nested" / "agent" / "logs" / "a" / "b").string());
}

TEST_F(WorkDirectoryTest, KeepsTheInstanceIdAndItsCredential) {
  WorkDirectory work(directory_.string());
  ASSERT_TRUE(work.Create().ok());
  EXPECT_EQ(work.LoadInstanceId(), "");
  EXPECT_EQ(work.LoadAgentCredential(), "");
  ASSERT_TRUE(work.SaveInstanceId("i-0123456789abcdef0", "cluster", "c0ffee").ok());
  EXPECT_EQ(WorkDirectory(directory_.string()).LoadInstanceId(), "i-0123456789abcdef0");
  EXPECT_EQ(WorkDirectory(directory_.string()).LoadAgentCredential(), "c0ffee");
  struct stat info {};
  ASSERT_EQ(stat((directory_ / "agent.json").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);  // the credential is a secret
  std::ofstream(directory_ / "agent.json") << "{not json";
  EXPECT_EQ(work.LoadInstanceId(), "");
}

TEST_F(WorkDirectoryTest, SavesLoadsAndForgetsRecords) {
  WorkDirectory work(directory_.string());
  ASSERT_TRUE(work.Create().ok());
  AttemptRecord second = Record("job:2", 1);
  AttemptRecord first = Record("job#1", 3);
  ASSERT_TRUE(work.SaveRecord(second, true).ok());
  ASSERT_TRUE(work.SaveRecord(first, false).ok());
  first.log_offset = 77;  // an update replaces the record
  ASSERT_TRUE(work.SaveRecord(first, false).ok());
  std::ofstream(work.ExitFilePath(first.key)) << "0 0\n";
  std::ofstream(directory_ / "attempts" / "garbage.json") << "{";
  std::ofstream(directory_ / "attempts" / "misnamed.1.json") << EncodeAttemptRecord(first);

  std::vector<std::string> problems;
  std::vector<AttemptRecord> records = work.LoadRecords(problems);
  EXPECT_EQ(records, (std::vector<AttemptRecord>{first, second}));  // by file name
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_NE(problems[0].find("garbage.json"), std::string::npos);
  EXPECT_NE(problems[1].find("names another attempt"), std::string::npos);

  std::ofstream(work.LogPath("def/default/job#1")) << "output";
  work.ForgetAttempt(first.key);
  EXPECT_FALSE(fs::exists(work.RecordPath(first.key)));
  EXPECT_FALSE(fs::exists(work.ExitFilePath(first.key)));
  problems.clear();
  EXPECT_EQ(work.LoadRecords(problems), std::vector<AttemptRecord>{second});
}

TEST(WriteFileAtomicallyTest, FailsWhenTheDirectoryIsMissing) {
  EXPECT_FALSE(WriteFileAtomically("/nonexistent-gleaner-dir/file", "x", true).ok());
}

}  // namespace
}  // namespace gleaner
