#include "agent/attempt_command.h"

#include <gtest/gtest.h>

namespace gleaner {
namespace {

using Environment = std::vector<std::string>;

TEST(InheritedEnvironmentTest, KeepsTheUsualVariablesOnly) {
  Environment agent = {"PATH=/usr/bin:/bin", "HOME=/home/agent", "SECRET=x",     "USER=agent",
                       "LANG=C.UTF-8",       "PATH=/second",     "NOEQUALS",     "TZ=UTC",
                       "SHELL=/bin/bash",    "TMPDIR=/tmp",      "LOGNAME=agent"};
  EXPECT_EQ(InheritedEnvironment(agent),
            (Environment{"PATH=/usr/bin:/bin", "HOME=/home/agent", "USER=agent", "LANG=C.UTF-8",
                         "TZ=UTC", "SHELL=/bin/bash", "TMPDIR=/tmp", "LOGNAME=agent"}));
}

TEST(AttemptEnvironmentTest, TheJobsVariablesWin) {
  Environment inherited = {"PATH=/usr/bin:/bin", "HOME=/home/agent"};
  Environment job = {"AWS_BATCH_JOB_ID=j1", "HOME=/job", "EMPTY="};
  EXPECT_EQ(AttemptEnvironment(inherited, job),
            (Environment{"PATH=/usr/bin:/bin", "AWS_BATCH_JOB_ID=j1", "HOME=/job", "EMPTY="}));
  EXPECT_EQ(AttemptEnvironment(inherited, {}), inherited);
}

}  // namespace
}  // namespace gleaner
