#include "common/private_directory.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace gleaner {
namespace {

namespace fs = std::filesystem;

TEST(PrivateDirectoryTest, CreatesEveryMissingLevel0700AndLeavesTheRest) {
  fs::path root = fs::path(::testing::TempDir()) / ("private_dir_" + std::to_string(getpid()));
  fs::remove_all(root);
  fs::create_directories(root);
  fs::permissions(root, fs::perms::all);
  ASSERT_TRUE(CreatePrivateDirectories((root / "a" / "b").string()).ok());
  for (const fs::path& created : {root / "a", root / "a" / "b"}) {
    struct stat info {};
    ASSERT_EQ(stat(created.c_str(), &info), 0);
    EXPECT_EQ(info.st_mode & 0777, 0700u) << created;
  }
  EXPECT_EQ(fs::status(root).permissions(), fs::perms::all);                // not its to change
  EXPECT_TRUE(CreatePrivateDirectories((root / "a" / "b").string()).ok());  // already there

  std::ofstream(root / "file") << "x";
  Status under_a_file = CreatePrivateDirectories((root / "file" / "c").string());
  EXPECT_FALSE(under_a_file.ok());
  Status a_file = CreatePrivateDirectories((root / "file").string());
  EXPECT_FALSE(a_file.ok());
  EXPECT_NE(a_file.message().find("not a directory"), std::string::npos) << a_file.message();
  fs::remove_all(root);
}

}  // namespace
}  // namespace gleaner
