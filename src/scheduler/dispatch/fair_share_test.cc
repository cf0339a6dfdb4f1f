// FairShareTracker: weights, decayed usage, compute reservation, persistence, and a simulation
// showing that "always start the share with the lowest usage" converges to the weighted shares.
#include "scheduler/dispatch/fair_share.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace gleaner {
namespace {

constexpr EpochMillis kT0 = 1'700'000'000'000;
constexpr int64_t kOneVcpu = 1000;
constexpr int64_t kSecond = 1000;
constexpr int64_t kHour = 3600 * kSecond;

FairsharePolicy Policy(int decay_seconds, int reservation = 0,
                       std::vector<ShareAttributes> distribution = {}) {
  FairsharePolicy policy;
  policy.share_decay_seconds = decay_seconds;
  policy.compute_reservation = reservation;
  policy.share_distribution = std::move(distribution);
  return policy;
}

TEST(FairShareTrackerTest, WeightFactorPrefersExactThenLongestPrefixThenOne) {
  FairShareTracker tracker(Policy(600, 0,
                                  {{"team*", 0.5},
                                   {"team-a*", 0.25},
                                   {"team-a", 2.0},
                                   {"team-a", 3.0},  // duplicate: the first wins
                                   {"unset", std::nullopt}}));
  EXPECT_DOUBLE_EQ(tracker.WeightFactor("team-a"), 2.0);
  EXPECT_DOUBLE_EQ(tracker.WeightFactor("team-abc"), 0.25);
  EXPECT_DOUBLE_EQ(tracker.WeightFactor("team-b"), 0.5);
  EXPECT_DOUBLE_EQ(tracker.WeightFactor("team"), 0.5);  // "team*" matches "team" itself
  EXPECT_DOUBLE_EQ(tracker.WeightFactor("unset"), 1.0);
  EXPECT_DOUBLE_EQ(tracker.WeightFactor("other"), 1.0);

  FairShareTracker catch_all(Policy(600, 0, {{"*", 0.1}, {"x", 4.0}}));
  EXPECT_DOUBLE_EQ(catch_all.WeightFactor("anything"), 0.1);
  EXPECT_DOUBLE_EQ(catch_all.WeightFactor("x"), 4.0);
}

TEST(FairShareTrackerTest, RunningShareHasMoreUsageThanIdleOne) {
  FairShareTracker tracker(Policy(600));
  tracker.OnAttemptStarted("busy", 2 * kOneVcpu, kT0);
  // Counts at once, before any time passes.
  EXPECT_GT(tracker.EffectiveUsage("busy", kT0), tracker.EffectiveUsage("idle", kT0));
  EXPECT_DOUBLE_EQ(tracker.EffectiveUsage("idle", kT0), 0.0);
  EXPECT_DOUBLE_EQ(tracker.EffectiveUsage("busy", kT0), 2.0 * 30);  // 2 vCPUs * tau (600 s / 20)
  EXPECT_EQ(tracker.ShareOrder({"busy", "idle", "busy"}, kT0),
            (std::vector<std::string>{"idle", "busy"}));
  // Running adds to the decayed history, which tends to r * D: U = 2 * 600 * (1 - e^-1) after D.
  EXPECT_NEAR(tracker.EffectiveUsage("busy", kT0 + 600 * kSecond),
              2.0 * 600 * (1 - std::exp(-1.0)) + 2.0 * 30, 1e-9);
}

TEST(FairShareTrackerTest, TiesGoByShareName) {
  FairShareTracker tracker(Policy(600));
  tracker.OnAttemptStarted("b", kOneVcpu, kT0);
  tracker.OnAttemptStarted("a", kOneVcpu, kT0);
  EXPECT_EQ(tracker.ShareOrder({"b", "c", "a", "d"}, kT0 + kHour),
            (std::vector<std::string>{"c", "d", "a", "b"}));
}

TEST(FairShareTrackerTest, WeightMultipliesUsage) {
  FairShareTracker tracker(Policy(600, 0, {{"small", 0.125}}));
  tracker.OnAttemptStarted("small", 4 * kOneVcpu, kT0);
  tracker.OnAttemptStarted("normal", 1 * kOneVcpu, kT0);
  EXPECT_DOUBLE_EQ(tracker.EffectiveUsage("small", kT0 + kHour),
                   0.125 * tracker.EffectiveUsage("normal", kT0 + kHour) * 4);
  EXPECT_EQ(tracker.ShareOrder({"normal", "small"}, kT0 + kHour),
            (std::vector<std::string>{"small", "normal"}));
}

TEST(FairShareTrackerTest, UsageHalvesAfterDecayTimesLn2) {
  constexpr int kDecay = 3600;
  FairShareTracker tracker(Policy(kDecay));
  tracker.OnAttemptStarted("a", 4 * kOneVcpu, kT0);
  EpochMillis end = kT0 + 100 * kDecay * kSecond;  // long enough that the average reached 4
  tracker.OnAttemptEnded("a", 4 * kOneVcpu, end);
  double at_end = tracker.EffectiveUsage("a", end);
  EXPECT_NEAR(at_end, 4.0 * kDecay, 1e-6);  // steady state: r * D vCPU-seconds
  auto half_life = static_cast<int64_t>(std::llround(kDecay * std::log(2.0) * kSecond));
  EXPECT_NEAR(tracker.EffectiveUsage("a", end + half_life), at_end / 2, at_end * 1e-6);
  EXPECT_NEAR(tracker.EffectiveUsage("a", end + 2 * half_life), at_end / 4, at_end * 1e-6);
}

TEST(FairShareTrackerTest, LazyStepsMatchOneLongStep) {
  // The closed form makes the result independent of how often events arrive.
  FairShareTracker stepped(Policy(900));
  FairShareTracker once(Policy(900));
  stepped.OnAttemptStarted("a", 3 * kOneVcpu, kT0);
  once.OnAttemptStarted("a", 3 * kOneVcpu, kT0);
  for (int i = 1; i <= 1000; ++i) {  // zero-vCPU events only bring the share up to date
    stepped.OnAttemptStarted("a", 0, kT0 + i * 7 * kSecond);
  }
  EpochMillis later = kT0 + 7000 * kSecond;
  EXPECT_NEAR(stepped.EffectiveUsage("a", later), once.EffectiveUsage("a", later), 1e-8);
}

TEST(FairShareTrackerTest, ZeroDecayCountsOnlyWhatRunsNow) {
  FairShareTracker tracker(Policy(0));
  tracker.OnAttemptStarted("a", 8 * kOneVcpu, kT0);
  tracker.OnAttemptStarted("b", 1 * kOneVcpu, kT0);
  EXPECT_DOUBLE_EQ(tracker.EffectiveUsage("a", kT0 + kHour), 8.0);  // no history: r * tau (1 s)
  tracker.OnAttemptEnded("a", 8 * kOneVcpu, kT0 + kHour);
  // A ran for an hour, yet with no memory it is now below b, which still runs.
  EXPECT_DOUBLE_EQ(tracker.EffectiveUsage("a", kT0 + kHour), 0.0);
  EXPECT_EQ(tracker.ShareOrder({"b", "a"}, kT0 + kHour), (std::vector<std::string>{"a", "b"}));

  FairShareTracker absent(FairsharePolicy{});  // no shareDecaySeconds at all: the same
  absent.OnAttemptStarted("a", kOneVcpu, kT0);
  absent.OnAttemptEnded("a", kOneVcpu, kT0 + kHour);
  EXPECT_DOUBLE_EQ(absent.EffectiveUsage("a", kT0 + kHour), 0.0);
}

TEST(FairShareTrackerTest, ActiveSharesAreThoseRunning) {
  FairShareTracker tracker(Policy(600));
  EXPECT_EQ(tracker.ActiveShares(), 0);
  tracker.OnAttemptStarted("a", 500, kT0);
  tracker.OnAttemptStarted("a", 500, kT0);
  tracker.OnAttemptStarted("b", 2000, kT0);
  EXPECT_EQ(tracker.ActiveShares(), 2);
  EXPECT_EQ(tracker.RunningMilliVcpus("a"), 1000);
  tracker.OnAttemptEnded("a", 500, kT0 + kSecond);
  EXPECT_EQ(tracker.ActiveShares(), 2);
  tracker.OnAttemptEnded("a", 500, kT0 + kSecond);
  EXPECT_EQ(tracker.ActiveShares(), 1);
  // Ending more than runs (e.g. after restoring an older snapshot) clamps at zero.
  tracker.OnAttemptEnded("b", 5000, kT0 + kSecond);
  EXPECT_EQ(tracker.RunningMilliVcpus("b"), 0);
  EXPECT_EQ(tracker.ActiveShares(), 0);
}

TEST(FairShareTrackerTest, ComputeReservationIsCOver100ToTheNumberOfActiveShares) {
  constexpr int64_t kMax = 256 * kOneVcpu;
  FairShareTracker tracker(Policy(600, 50));
  EXPECT_EQ(tracker.ReservedMilliVcpus(kMax), kMax);  // N = 0: every share may use everything
  tracker.OnAttemptStarted("a", kOneVcpu, kT0);
  EXPECT_EQ(tracker.ReservedMilliVcpus(kMax), kMax / 2);
  tracker.OnAttemptStarted("b", kOneVcpu, kT0);
  EXPECT_EQ(tracker.ReservedMilliVcpus(kMax), kMax / 4);
  tracker.OnAttemptStarted("c", kOneVcpu, kT0);
  EXPECT_EQ(tracker.ReservedMilliVcpus(kMax), kMax / 8);

  // AWS's own example: 25 reserves 25%, 6.25%, 1.5625%.
  tracker.SetPolicy(Policy(600, 25), kT0);
  EXPECT_EQ(tracker.ReservedMilliVcpus(100'000), 1562);  // exact 1562.5, floored
  tracker.OnAttemptEnded("c", kOneVcpu, kT0);
  EXPECT_EQ(tracker.ReservedMilliVcpus(100'000), 6250);
  tracker.OnAttemptEnded("b", kOneVcpu, kT0);
  EXPECT_EQ(tracker.ReservedMilliVcpus(100'000), 25'000);

  tracker.SetPolicy(Policy(600, 0), kT0);
  EXPECT_EQ(tracker.ReservedMilliVcpus(100'000), 0);
  tracker.SetPolicy(FairsharePolicy{}, kT0);
  EXPECT_EQ(tracker.ReservedMilliVcpus(100'000), 0);

  tracker.SetPolicy(Policy(600, 99), kT0);  // many shares: tends to 0, never negative
  for (int i = 0; i < 2000; ++i) tracker.OnAttemptStarted("s" + std::to_string(i), 1, kT0);
  EXPECT_EQ(tracker.ReservedMilliVcpus(100'000), 0);
}

TEST(FairShareTrackerTest, ReservationOfAnUnlimitedQueueDoesNotOverflow) {
  // An UNMANAGED compute environment without unmanagedvCpus offers INT64_MAX millivcpus.
  FairShareTracker tracker(Policy(600, 25));
  tracker.OnAttemptStarted("a", kOneVcpu, kT0);
  EXPECT_EQ(tracker.ReservedMilliVcpus(INT64_MAX), INT64_MAX / 4);  // 25%, floored
  tracker.OnAttemptStarted("b", kOneVcpu, kT0);
  EXPECT_EQ(tracker.ReservedMilliVcpus(INT64_MAX), INT64_MAX / 4 / 4);
}

TEST(FairShareTrackerTest, SetPolicyTakesEffectLive) {
  FairShareTracker tracker(Policy(600));
  tracker.OnAttemptStarted("a", 2 * kOneVcpu, kT0);
  tracker.OnAttemptStarted("b", 1 * kOneVcpu, kT0);
  EpochMillis t1 = kT0 + kHour;
  EXPECT_EQ(tracker.ShareOrder({"a", "b"}, t1), (std::vector<std::string>{"b", "a"}));

  // New weights apply at once to all past usage.
  tracker.SetPolicy(Policy(600, 0, {{"a", 0.25}}), t1);
  EXPECT_EQ(tracker.ShareOrder({"a", "b"}, t1), (std::vector<std::string>{"a", "b"}));
  EXPECT_NEAR(tracker.EffectiveUsage("a", t1), 0.25 * (2.0 * 600 * -std::expm1(-6.0) + 2.0 * 30),
              1e-9);

  // A new decay applies from the change on; the decayed usage carries over unchanged.
  tracker.OnAttemptEnded("a", 2 * kOneVcpu, t1);
  double before = tracker.EffectiveUsage("a", t1);
  tracker.SetPolicy(Policy(60, 0, {{"a", 0.25}}), t1);
  EXPECT_DOUBLE_EQ(tracker.EffectiveUsage("a", t1), before);
  EXPECT_NEAR(tracker.EffectiveUsage("a", t1 + 60 * kSecond), before * std::exp(-1.0), 1e-9);

  // Switching to no memory forgets the history of shares that run nothing.
  tracker.SetPolicy(Policy(0, 0, {{"a", 0.25}}), t1 + 60 * kSecond);
  EXPECT_DOUBLE_EQ(tracker.EffectiveUsage("a", t1 + 60 * kSecond), 0.0);
  EXPECT_DOUBLE_EQ(tracker.EffectiveUsage("b", t1 + 60 * kSecond), 1.0);
}

TEST(FairShareTrackerTest, SerializeRoundTrips) {
  FairsharePolicy policy = Policy(1800, 20, {{"b", 0.5}});
  FairShareTracker tracker(policy);
  tracker.OnAttemptStarted("a", 1500, kT0);
  tracker.OnAttemptStarted("b", 3000, kT0 + 17);
  tracker.OnAttemptEnded("a", 1500, kT0 + 5 * kHour + 3);
  tracker.OnAttemptStarted("c", 250, kT0 + 6 * kHour);

  std::string text = tracker.Serialize();
  Result<FairShareTracker> restored = FairShareTracker::Deserialize(policy, text);
  ASSERT_TRUE(restored.ok()) << restored.status().message();
  EXPECT_EQ(restored->Serialize(), text);
  for (EpochMillis t : {kT0 + 6 * kHour, kT0 + 9 * kHour + 1}) {
    for (const char* share : {"a", "b", "c", "d"}) {
      EXPECT_EQ(restored->EffectiveUsage(share, t), tracker.EffectiveUsage(share, t)) << share;
      EXPECT_EQ(restored->RunningMilliVcpus(share), tracker.RunningMilliVcpus(share)) << share;
    }
  }
  EXPECT_EQ(restored->ActiveShares(), 2);
  EXPECT_EQ(restored->ReservedMilliVcpus(10'000), tracker.ReservedMilliVcpus(10'000));

  // Same events after the restore, same state.
  tracker.OnAttemptEnded("b", 3000, kT0 + 7 * kHour);
  restored->OnAttemptEnded("b", 3000, kT0 + 7 * kHour);
  EXPECT_EQ(restored->Serialize(), tracker.Serialize());

  EXPECT_TRUE(FairShareTracker::Deserialize(policy, FairShareTracker(policy).Serialize()).ok());
}

TEST(FairShareTrackerTest, DeserializeRejectsDamagedState) {
  for (const char* text : {
           "",
           "[]",
           R"({"version":2,"shares":[]})",
           R"({"version":1})",
           R"({"version":1,"shares":[{"shareIdentifier":"a"}]})",
           R"({"version":1,"shares":[{"shareIdentifier":"a","decayedVcpuSeconds":-1,"updatedAt":0,)"
           R"("runningMillivcpus":0}]})",
           R"({"version":1,"shares":[{"shareIdentifier":"a","decayedVcpuSeconds":1,"updatedAt":0,)"
           R"("runningMillivcpus":0},{"shareIdentifier":"a","decayedVcpuSeconds":1,"updatedAt":0,)"
           R"("runningMillivcpus":0}]})",
       }) {
    Result<FairShareTracker> result = FairShareTracker::Deserialize(Policy(600), text);
    EXPECT_FALSE(result.ok()) << text;
  }
}

TEST(FairShareTrackerTest, IdleSharesAreEventuallyForgotten) {
  FairShareTracker tracker(Policy(60));
  tracker.OnAttemptStarted("once", kOneVcpu, kT0);
  tracker.OnAttemptEnded("once", kOneVcpu, kT0 + kHour);
  EXPECT_NE(tracker.Serialize().find("once"), std::string::npos);
  tracker.OnAttemptStarted("other", kOneVcpu, kT0 + 24 * kHour);  // any event sweeps
  EXPECT_EQ(tracker.Serialize().find("once"), std::string::npos);
  EXPECT_DOUBLE_EQ(tracker.EffectiveUsage("once", kT0 + 24 * kHour), 0.0);
}

TEST(FairShareTrackerTest, StableOverMonthsOfVirtualTime) {
  // One attempt running for ~3 months with an event every minute: the usage must follow the
  // closed form for one long step, finite and without drift.
  FairShareTracker tracker(Policy(604800));
  tracker.OnAttemptStarted("a", 7 * kOneVcpu, kT0);
  EpochMillis t = kT0;
  for (int minute = 0; minute < 90 * 24 * 60; ++minute) {
    t += 60 * kSecond;
    tracker.OnAttemptStarted("a", 0, t);
  }
  double usage = tracker.EffectiveUsage("a", t);
  EXPECT_TRUE(std::isfinite(usage));
  // After ~12.9 time constants U = 7 * D * (1 - e^-12.86), plus the 7 running times D / 20.
  double expected =
      7.0 * 604800.0 * -std::expm1(-(static_cast<double>(t - kT0) / 1000.0 / 604800.0)) +
      7.0 * 604800.0 / 20;
  EXPECT_NEAR(usage, expected, expected * 1e-9);
}

// ---- convergence: a tiny event loop, no real scheduler ----

struct Simulation {
  std::map<std::string, double> weights;  // share -> weightFactor
  int decay_seconds = 3600;
  int pool_vcpus = 12;
  int64_t job_millis = 600 * kSecond;
  int64_t hours = 72;
};

// Every share has an endless backlog of 1-vCPU jobs. Whenever a vCPU is free, the next job comes
// from the share with the lowest EffectiveUsage (ties by name). vCPU i comes online at i * 37 s so
// that job ends do not all coincide. Returns the vCPU-seconds each share got.
std::map<std::string, double> Simulate(const Simulation& simulation) {
  FairsharePolicy policy = Policy(simulation.decay_seconds);
  std::vector<std::string> shares;
  for (const auto& [share, weight] : simulation.weights) {
    policy.share_distribution.push_back({share, weight});
    shares.push_back(share);
  }
  FairShareTracker tracker(policy);
  struct Slot {
    EpochMillis free_at;
    std::string share;  // empty: idle
    EpochMillis started_at;
  };
  std::vector<Slot> slots;
  for (int i = 0; i < simulation.pool_vcpus; ++i) {
    slots.push_back({kT0 + i * 37 * kSecond, "", 0});
  }
  std::map<std::string, double> vcpu_seconds;
  const EpochMillis end = kT0 + simulation.hours * kHour;
  while (true) {
    EpochMillis now = slots.front().free_at;
    for (const Slot& slot : slots) now = std::min(now, slot.free_at);
    if (now >= end) break;
    // End everything that finishes now, then fill the freed vCPUs one at a time.
    for (Slot& slot : slots) {
      if (slot.free_at == now && !slot.share.empty()) {
        tracker.OnAttemptEnded(slot.share, kOneVcpu, now);
        vcpu_seconds[slot.share] += static_cast<double>(now - slot.started_at) / 1000.0;
        slot.share.clear();
      }
    }
    for (Slot& slot : slots) {
      if (slot.free_at != now) continue;
      std::string next = tracker.ShareOrder(shares, now).front();
      tracker.OnAttemptStarted(next, kOneVcpu, now);
      slot = {now + simulation.job_millis, next, now};
    }
  }
  for (const Slot& slot : slots) {  // count the partial attempts still running at the end
    if (!slot.share.empty()) {
      vcpu_seconds[slot.share] += static_cast<double>(end - slot.started_at) / 1000.0;
    }
  }
  return vcpu_seconds;
}

// Within 10% of the expected ratio, as AWS promises it only approximately.
void ExpectRatio(std::map<std::string, double> used, const std::string& more,
                 const std::string& less, double expected) {
  ASSERT_GT(used[less], 0);
  EXPECT_NEAR(used[more] / used[less], expected, 0.1 * expected)
      << more << " " << used[more] << " vCPU-s, " << less << " " << used[less] << " vCPU-s";
}

TEST(FairShareTrackerTest, ConvergesToTwiceTheVcpusForHalfTheWeight) {
  for (int decay : {3600, 86400}) {  // 6 and 144 job lengths
    SCOPED_TRACE(decay);
    std::map<std::string, double> used =
        Simulate({.weights = {{"A", 1.0}, {"B", 0.5}}, .decay_seconds = decay});
    ExpectRatio(used, "B", "A", 2.0);
    // The pool never idles: the shares split all of it.
    EXPECT_GT(used["A"] + used["B"], 0.99 * 12 * 72 * 3600);
  }
}

TEST(FairShareTrackerTest, ConvergesToEightTimesTheVcpusForAnEighthOfTheWeight) {
  for (int decay : {3600, 86400}) {
    SCOPED_TRACE(decay);
    ExpectRatio(Simulate({.weights = {{"A", 1.0}, {"B", 0.125}}, .decay_seconds = decay}), "B", "A",
                8.0);
  }
}

TEST(FairShareTrackerTest, ConvergesWithShortJobsOnALargerPool) {
  ExpectRatio(Simulate({.weights = {{"A", 1.0}, {"B", 0.125}},
                        .decay_seconds = 86400,
                        .pool_vcpus = 100,
                        .job_millis = 90 * kSecond}),
              "B", "A", 8.0);
}

TEST(FairShareTrackerTest, ConvergesWithThreeShares) {
  std::map<std::string, double> used =
      Simulate({.weights = {{"A", 1.0}, {"B", 0.5}, {"C", 0.25}}, .pool_vcpus = 14});
  ExpectRatio(used, "B", "A", 2.0);
  ExpectRatio(used, "C", "A", 4.0);
}

TEST(FairShareTrackerTest, EqualWeightsSplitEvenlyWithoutMemory) {
  std::map<std::string, double> used =
      Simulate({.weights = {{"A", 1.0}, {"B", 1.0}}, .decay_seconds = 0});
  ExpectRatio(used, "B", "A", 1.0);
}

}  // namespace
}  // namespace gleaner
