#include "server/data_directory.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace gleaner {
namespace {

namespace fs = std::filesystem;

class DataDirectoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::path(::testing::TempDir()) / ("gleaner_data_dir_test_" + std::to_string(getpid()));
    fs::remove_all(root_);
    fs::create_directories(root_);
    path_ = (root_ / "data").string();
  }
  void TearDown() override { fs::remove_all(root_); }

  static unsigned ModeOf(const std::string& path) {
    struct stat info {};
    EXPECT_EQ(stat(path.c_str(), &info), 0) << path;
    return info.st_mode & 0777;
  }

  fs::path root_;
  std::string path_;
};

TEST_F(DataDirectoryTest, IsCreatedPrivate) {
  auto directory = DataDirectory::Open(path_);
  ASSERT_TRUE(directory.ok()) << directory.status().message();
  EXPECT_EQ(ModeOf(path_), 0700u);
  EXPECT_EQ(ModeOf((*directory)->logs()), 0700u);
  EXPECT_EQ(ModeOf((*directory)->work()), 0700u);
  EXPECT_EQ(ModeOf((*directory)->events()), 0600u);
  EXPECT_EQ(ModeOf(path_ + "/lock"), 0600u);
}

TEST_F(DataDirectoryTest, AnExistingDirectoryAndItsFilesAreTightened) {
  fs::create_directories(path_ + "/logs");
  std::ofstream(path_ + "/gleaner.db") << "x";
  fs::permissions(path_, fs::perms::all);
  fs::permissions(path_ + "/logs", fs::perms::all);
  fs::permissions(path_ + "/gleaner.db", fs::perms::owner_read | fs::perms::owner_write |
                                             fs::perms::group_read | fs::perms::others_read);
  auto directory = DataDirectory::Open(path_);
  ASSERT_TRUE(directory.ok()) << directory.status().message();
  EXPECT_EQ(ModeOf(path_), 0700u);
  EXPECT_EQ(ModeOf(path_ + "/logs"), 0700u);
  EXPECT_EQ(ModeOf(path_ + "/gleaner.db"), 0600u);
}

TEST_F(DataDirectoryTest, ASecondHolderIsRefusedWithTheFirstOnesPid) {
  auto first = DataDirectory::Open(path_);
  ASSERT_TRUE(first.ok()) << first.status().message();
  // Another process, as a second `gleaner up` would be (flock is per open file description, so
  // even this process opening again is refused).
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto second = DataDirectory::Open(path_);
    bool refused_with_pid =
        !second.ok() && second.status().code() == StatusCode::kFailedPrecondition &&
        second.status().message().find(path_) != std::string::npos &&
        second.status().message().find("pid " + std::to_string(getppid())) != std::string::npos;
    _exit(refused_with_pid ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

TEST_F(DataDirectoryTest, TheLockGoesWithItsHolder) {
  { ASSERT_TRUE(DataDirectory::Open(path_).ok()); }
  EXPECT_TRUE(DataDirectory::Open(path_).ok());
}

TEST_F(DataDirectoryTest, ASecretIsMadeOnceAndKept) {
  std::string first;
  {
    auto directory = DataDirectory::Open(path_);
    ASSERT_TRUE(directory.ok());
    Result<std::string> secret = (*directory)->ReadOrCreateSecret("agent-key");
    ASSERT_TRUE(secret.ok()) << secret.status().message();
    EXPECT_EQ(secret->size(), 64u);
    first = *secret;
    EXPECT_EQ(ModeOf(path_ + "/agent-key"), 0600u);
  }
  auto directory = DataDirectory::Open(path_);
  ASSERT_TRUE(directory.ok());
  Result<std::string> again = (*directory)->ReadOrCreateSecret("agent-key");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, first);
  std::ofstream(path_ + "/broken") << "short";
  EXPECT_FALSE((*directory)->ReadOrCreateSecret("broken").ok());
}

TEST_F(DataDirectoryTest, APathThatIsAFileIsRefused) {
  std::ofstream(path_) << "not a directory";
  auto directory = DataDirectory::Open(path_);
  ASSERT_FALSE(directory.ok());
  EXPECT_NE(directory.status().message().find(path_), std::string::npos);
}

}  // namespace
}  // namespace gleaner
