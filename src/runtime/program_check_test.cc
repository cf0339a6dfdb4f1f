// CheckProgram: whether a launch spec names a program that can be started, and why not.
#include <stdlib.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "runtime/launcher.h"

namespace gleaner {
namespace {

namespace fs = std::filesystem;
using Environment = std::vector<std::string>;

Status Check(std::vector<std::string> argv, Environment environment,
             std::string working_directory) {
  LaunchSpec spec;
  spec.argv = std::move(argv);
  spec.environment = std::move(environment);
  spec.working_directory = std::move(working_directory);
  return CheckProgram(spec);
}

class CheckProgramTest : public testing::Test {
 protected:
  CheckProgramTest() {
    std::string pattern = (fs::temp_directory_path() / "gleaner-command-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) std::abort();
    directory_ = pattern;
    fs::create_directories(directory_ / "bin");
    WriteScript(directory_ / "bin" / "runnable", fs::perms::owner_all);
    WriteScript(directory_ / "bin" / "not-runnable", fs::perms::owner_read);
  }
  ~CheckProgramTest() override {
    std::error_code ignored;
    fs::remove_all(directory_, ignored);
  }

  static void WriteScript(const fs::path& path, fs::perms permissions) {
    std::ofstream(path) << "#!/bin/sh\nexit 0\n";
    fs::permissions(path, permissions);
  }

  fs::path directory_;
};

TEST_F(CheckProgramTest, FindsCommandsOnTheJobsPath) {
  EXPECT_TRUE(Check({"sh", "-c", "true"}, {"PATH=/usr/bin:/bin"}, "").ok());
  EXPECT_TRUE(Check({"sh"}, {}, "").ok());  // no PATH: /bin:/usr/bin
  Environment own_path = {"PATH=/nonexistent:" + (directory_ / "bin").string()};
  EXPECT_TRUE(Check({"runnable"}, own_path, "").ok());
  // A relative PATH entry is relative to the working directory.
  EXPECT_TRUE(Check({"runnable"}, {"PATH=bin"}, directory_.string()).ok());
}

TEST_F(CheckProgramTest, SaysWhyACommandCannotBeRun) {
  EXPECT_EQ(Check({"no-such-command"}, {"PATH=/usr/bin:/bin"}, "").message(),
            "CannotStartContainerError: command \"no-such-command\" not found in PATH "
            "\"/usr/bin:/bin\"");
  Environment own_path = {"PATH=" + (directory_ / "bin").string()};
  EXPECT_EQ(Check({"not-runnable"}, own_path, "").message(),
            "CannotStartContainerError: command \"not-runnable\" is not executable (permission "
            "denied)");
  EXPECT_EQ(Check({}, {}, "").message(), "CannotStartContainerError: the command is empty");
  EXPECT_EQ(Check({""}, {}, "").message(), "CannotStartContainerError: the command is empty");
}

TEST_F(CheckProgramTest, APathWithASlashMustBeAnExecutableFile) {
  EXPECT_TRUE(Check({"/bin/sh"}, {}, "").ok());
  EXPECT_TRUE(Check({"bin/runnable"}, {}, directory_.string()).ok());
  EXPECT_TRUE(Check({"./bin/runnable"}, {}, directory_.string()).ok());
  EXPECT_EQ(Check({"/nonexistent/tool"}, {}, "").message(),
            "CannotStartContainerError: command \"/nonexistent/tool\" not found");
  EXPECT_EQ(Check({"./bin/not-runnable"}, {}, directory_.string()).message(),
            "CannotStartContainerError: command \"./bin/not-runnable\" is not executable "
            "(permission denied)");
  EXPECT_FALSE(Check({(directory_ / "bin").string() + "/"}, {}, "").ok());
}

}  // namespace
}  // namespace gleaner
