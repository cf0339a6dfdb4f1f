#include "server_sim/engine_simulation.h"

#include <gtest/gtest.h>

#include "sim/simulation_test_support.h"

namespace gleaner::sim {
namespace {

// The seeds CI runs on every build. Longer runs (>= 10,000 seeds): README.md.
constexpr uint64_t kFirstSeed = 1;
constexpr uint64_t kSeeds = 200;
constexpr int kSteps = 100;

SimulationReport RunSeed(uint64_t seed, int steps) {
  SimulationOptions options;
  options.seed = seed;
  options.steps = steps;
  return RunEngineSimulation(options);
}

TEST(EngineSimulationTest, SeedsKeepEveryInvariantThroughInterruptionsAndCrashes) {
  int64_t jobs = 0;
  int64_t crashes = 0;
  int64_t interruptions = 0;
  int64_t launches = 0;
  for (uint64_t seed = kFirstSeed; seed < kFirstSeed + kSeeds; ++seed) {
    SimulationReport report = RunSeed(seed, kSteps);
    EXPECT_TRUE(report.ok) << report.Summary();
    jobs += report.jobs;
    crashes += report.restarts;
    interruptions += report.interruptions;
    launches += report.launches;
  }
  // The invariants were checked on real work: jobs launched, instances interrupted, crashes.
  EXPECT_GT(jobs, static_cast<int64_t>(kSeeds) * 100);
  EXPECT_GT(launches, jobs / 2);
  EXPECT_GT(crashes, static_cast<int64_t>(kSeeds) / 10);
  EXPECT_GT(interruptions, static_cast<int64_t>(kSeeds) / 4);
}

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
