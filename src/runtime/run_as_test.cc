#include "runtime/run_as.h"

#include <gtest/gtest.h>
#include <unistd.h>

namespace gleaner {
namespace {

TEST(RunAsTest, ResolvesNamesUidsAndGroupsAsDockerTakesThem) {
  if (geteuid() != 0) GTEST_SKIP() << "switching users needs root";
  Result<JobUser> nobody = ResolveJobUser("nobody");
  ASSERT_TRUE(nobody.ok()) << nobody.status().message();
  EXPECT_EQ(nobody->uid, 65534u);
  EXPECT_EQ(nobody->name, "nobody");
  Result<JobUser> numeric = ResolveJobUser("4321:4321");  // no passwd entry: that uid and gid
  ASSERT_TRUE(numeric.ok());
  EXPECT_EQ(numeric->uid, 4321u);
  EXPECT_EQ(numeric->gid, 4321u);
  EXPECT_TRUE(numeric->home.empty());
  Result<JobUser> with_group = ResolveJobUser("nobody:root");
  ASSERT_TRUE(with_group.ok());
  EXPECT_EQ(with_group->gid, 0u);
}

TEST(RunAsTest, AnUnknownUserIsAFailedStartInAwsWords) {
  Result<JobUser> unknown = ResolveJobUser("no-such-user-here");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().message(),
            "CannotStartContainerError: unable to find user no-such-user-here: no matching "
            "entries in passwd file");
  EXPECT_FALSE(ResolveJobUser("nobody:no-such-group").ok());
}

TEST(RunAsTest, WrapsTheCommand) {
  EXPECT_EQ(RunAsArgv("/usr/bin/gleaner", "nobody", {"id", "-u"}),
            (std::vector<std::string>{"/usr/bin/gleaner", "run-as", "nobody", "--", "id", "-u"}));
}

}  // namespace
}  // namespace gleaner
