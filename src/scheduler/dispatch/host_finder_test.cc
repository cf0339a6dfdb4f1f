#include "scheduler/dispatch/host_finder.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

namespace gleaner {
namespace {

constexpr char kEnvironmentA[] = "arn:aws:batch:us-east-1:123456789012:compute-environment/a";
constexpr char kEnvironmentB[] = "arn:aws:batch:us-east-1:123456789012:compute-environment/b";

Host MakeHost(const std::string& id, const std::string& environment, int64_t vcpus,
              int64_t memory_mib) {
  Host host;
  host.instance_id = id;
  host.compute_environment_arn = environment;
  host.total = Resources{vcpus * 1000, memory_mib, 0};
  return host;
}

Resources Needs(int64_t vcpus, int64_t memory_mib) {
  return Resources{vcpus * 1000, memory_mib, 0};
}

class HostFinderTest : public ::testing::Test {
 protected:
  void Add(const Host& host) {
    hosts_[host.instance_id] = host;
    finder_.OnHostsChanged();
  }
  std::string Find(const char* environment, const Resources& required) {
    Host* host = finder_.FindHost(finder_.Of(environment), required);
    return host == nullptr ? "" : host->instance_id;
  }

  std::map<std::string, Host> hosts_;
  HostFinder finder_{hosts_};
};

TEST_F(HostFinderTest, FirstFitInInstanceIdOrderAmongTheHostsServingTheEnvironment) {
  Add(MakeHost("i-3", kEnvironmentA, 4, 4096));
  Add(MakeHost("i-1", kEnvironmentB, 4, 4096));
  Add(MakeHost("i-2", kEnvironmentA, 4, 4096));
  Add(MakeHost("local", "", 4, 4096));  // serves every compute environment
  EXPECT_EQ(Find(kEnvironmentA, Needs(1, 1024)), "i-2");
  EXPECT_EQ(Find(kEnvironmentB, Needs(1, 1024)), "i-1");
  hosts_["i-2"].used = Needs(4, 0);
  hosts_["i-3"].used = Needs(4, 0);
  EXPECT_EQ(Find(kEnvironmentA, Needs(1, 1024)), "local");
}

TEST_F(HostFinderTest, SkipsHostsThatDoNotAcceptAndRequirementsThatDoNotFit) {
  Add(MakeHost("i-1", kEnvironmentA, 2, 2048));
  Add(MakeHost("i-2", kEnvironmentA, 8, 2048));
  Add(MakeHost("i-3", kEnvironmentA, 8, 16384));
  hosts_["i-1"].accepting = false;
  EXPECT_EQ(Find(kEnvironmentA, Needs(1, 1024)), "i-2");
  EXPECT_EQ(Find(kEnvironmentA, Needs(4, 4096)), "i-3");
  EXPECT_EQ(Find(kEnvironmentA, Needs(16, 1024)), "");
}

TEST_F(HostFinderTest, WithinAPassFullHostsAreNotLookedAtAgain) {
  Add(MakeHost("i-1", kEnvironmentA, 2, 8192));
  Add(MakeHost("i-2", kEnvironmentA, 2, 8192));
  finder_.BeginPass();
  EXPECT_EQ(Find(kEnvironmentA, Needs(2, 1024)), "i-1");
  hosts_["i-1"].used = Needs(2, 1024);
  EXPECT_EQ(Find(kEnvironmentA, Needs(2, 1024)), "i-2");
  // Room given back without a new pass is not seen: the pass believes i-1 full for this shape.
  hosts_["i-1"].used = Resources{};
  hosts_["i-2"].used = Needs(2, 1024);
  EXPECT_EQ(Find(kEnvironmentA, Needs(2, 1024)), "");
  finder_.BeginPass();
  EXPECT_EQ(Find(kEnvironmentA, Needs(2, 1024)), "i-1");
}

TEST_F(HostFinderTest, ARequirementAtLeastAsLargeAsOneThatFittedNowhereFailsAtOnce) {
  Add(MakeHost("i-1", kEnvironmentA, 4, 4096));
  finder_.BeginPass();
  EXPECT_EQ(Find(kEnvironmentA, Needs(4, 8192)), "");
  // Made to fit behind the finder's back: the larger shape is still refused this pass, a
  // smaller one (in memory) is not.
  hosts_["i-1"].total = Needs(16, 65536);
  EXPECT_EQ(Find(kEnvironmentA, Needs(8, 8192)), "");
  EXPECT_EQ(Find(kEnvironmentA, Needs(8, 4096)), "i-1");
  finder_.BeginPass();
  EXPECT_EQ(Find(kEnvironmentA, Needs(8, 8192)), "i-1");
}

TEST_F(HostFinderTest, HostsJoiningOrLeavingAreSeenAtOnce) {
  Add(MakeHost("i-2", kEnvironmentA, 1, 1024));
  EXPECT_EQ(Find(kEnvironmentA, Needs(2, 1024)), "");
  Add(MakeHost("i-1", kEnvironmentA, 2, 2048));
  EXPECT_EQ(Find(kEnvironmentA, Needs(2, 1024)), "i-1");
  hosts_.erase("i-1");
  finder_.OnHostsChanged();
  EXPECT_EQ(Find(kEnvironmentA, Needs(1, 1024)), "i-2");
  finder_.Forget(kEnvironmentA);
  EXPECT_EQ(Find(kEnvironmentA, Needs(1, 1024)), "i-2");
}

}  // namespace
}  // namespace gleaner
