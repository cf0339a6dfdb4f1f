#include "server_sim/engine_simulation.h"

#include <gtest/gtest.h>

#include "sim/simulation_test_support.h"

namespace gleaner::sim {
namespace {

// The seeds CI runs on every build: 200 in four shards (so that ctest runs them in parallel),
// 100 ticks each. Under a sanitizer, 8 per shard: a sanitized run is about ten times slower.
// Longer runs (>= 10,000 seeds): README.md.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr uint64_t kSeedsPerShard = 8;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
constexpr uint64_t kSeedsPerShard = 8;
#else
constexpr uint64_t kSeedsPerShard = 50;
#endif
#else
constexpr uint64_t kSeedsPerShard = 50;
#endif
constexpr int kSteps = 100;

SimulationReport RunSeed(uint64_t seed, int steps) {
  SimulationOptions options;
  options.seed = seed;
  options.steps = steps;
  return RunEngineSimulation(options);
}

class EngineSimulationShard : public ::testing::TestWithParam<uint64_t> {};

TEST_P(EngineSimulationShard, SeedsKeepEveryInvariantThroughInterruptionsCrashesAndAgentFaults) {
  uint64_t first = 1 + GetParam() * 50;  // shard k: seeds 50k+1 ..
  int64_t jobs = 0;
  int64_t crashes = 0;
  int64_t interruptions = 0;
  int64_t launches = 0;
  int64_t agent_launches = 0;
  int64_t agent_faults = 0;
  for (uint64_t seed = first; seed < first + kSeedsPerShard; ++seed) {
    SimulationReport report = RunSeed(seed, kSteps);
    EXPECT_TRUE(report.ok) << report.Summary();
    jobs += report.jobs;
    crashes += report.restarts;
    interruptions += report.interruptions;
    launches += report.launches;
    agent_launches += report.agent_launches;
    agent_faults += report.agent_faults;
  }
  // The invariants were checked on real work: jobs launched (some on agents), instances
  // interrupted, crashes, agents restarted, cut off or lost.
  EXPECT_GT(jobs, static_cast<int64_t>(kSeedsPerShard) * 100);
  EXPECT_GT(launches, jobs / 2);
  EXPECT_GT(crashes, 0);
  EXPECT_GT(interruptions, 0);
  EXPECT_GT(agent_launches, 0);
  EXPECT_GT(agent_faults, 0);
}

INSTANTIATE_TEST_SUITE_P(Seeds, EngineSimulationShard, ::testing::Values(0, 1, 2, 3));

TEST(EngineSimulationTest, OneSeedIsOneExecution) {
  testing::ExpectOneSeedIsOneExecution(RunEngineSimulation);
}

TEST(EngineSimulationTest, AFailureSaysHowToReplayIt) {
  SimulationReport report;
  report.seed = 17;
  report.steps = 100;
  report.engine = true;
  report.ok = false;
  report.violation = "a crash lost job x";
  EXPECT_NE(report.Summary().find("replay: build/gleaner_sim --seeds 17..17 --steps 100 --engine"),
            std::string::npos);
}

}  // namespace
}  // namespace gleaner::sim
