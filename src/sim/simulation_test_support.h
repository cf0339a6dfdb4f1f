#pragma once

// Shared by the simulations' tests: one seed is one exact execution. Test-only.

#include <gtest/gtest.h>

#include <functional>
#include <sstream>

#include "sim/simulation.h"

namespace gleaner::sim::testing {

using RunFunction = std::function<SimulationReport(const SimulationOptions&)>;

// The same seed twice gives the same trace, steps and final store; another seed another store.
inline void ExpectOneSeedIsOneExecution(const RunFunction& run) {
  SimulationOptions options;
  options.seed = 4242;
  options.steps = 60;
  std::ostringstream first_trace;
  std::ostringstream second_trace;
  options.trace = &first_trace;
  SimulationReport first = run(options);
  options.trace = &second_trace;
  SimulationReport second = run(options);
  EXPECT_TRUE(first.ok) << first.Summary();
  EXPECT_EQ(first.fingerprint, second.fingerprint);
  EXPECT_EQ(first.step, second.step);
  EXPECT_EQ(first_trace.str(), second_trace.str());
  options.seed = 4243;
  options.trace = nullptr;
  EXPECT_NE(run(options).fingerprint, first.fingerprint);
}

}  // namespace gleaner::sim::testing
