// gleaner_sim: runs the deterministic simulation over a range of seeds.
//
//   build/gleaner_sim --seeds 1..1000 [--steps 150] [--engine] [--trace]
//
// --engine runs the whole server (server_sim/engine_simulation.h) instead of BatchState alone.
// Every seed is one exact, repeatable execution; a failing seed prints its first violated
// invariant and the command that replays it (add --trace to see every event).
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <string>

#include "common/steady_time.h"
#include "server_sim/engine_simulation.h"
#include "sim/simulation.h"

namespace {

int Usage(const std::string& problem) {
  std::cerr
      << "gleaner_sim: " << problem << "\n"
      << "usage: gleaner_sim --seeds A..B [--steps N] [--engine] [--trace] [--verbose]\n"
      << "  --seeds A..B  run seeds A to B inclusive (or one seed: --seeds S)\n"
      << "  --steps N     workload ticks per seed before it goes quiet (default 150)\n"
      << "  --engine      the real engine with the simulated cloud, store latency and crashes\n"
      << "  --trace       print every event of every seed (for replaying one seed)\n"
      << "  --verbose     print a line per passing seed too\n";
  return 2;
}

bool ParseNumber(const std::string& text, uint64_t* value) {
  if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos) return false;
  *value = std::stoull(text);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t first = 1;
  uint64_t last = 100;
  uint64_t steps = 150;
  bool trace = false;
  bool verbose = false;
  bool engine = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--trace") {
      trace = true;
    } else if (arg == "--engine") {
      engine = true;
    } else if (arg == "--verbose") {
      verbose = true;
    } else if ((arg == "--seeds" || arg == "--steps") && i + 1 < argc) {
      std::string value = argv[++i];
      if (arg == "--steps") {
        if (!ParseNumber(value, &steps) || steps > 1'000'000) return Usage("bad --steps " + value);
        continue;
      }
      auto dots = value.find("..");
      std::string low = dots == std::string::npos ? value : value.substr(0, dots);
      std::string high = dots == std::string::npos ? value : value.substr(dots + 2);
      if (!ParseNumber(low, &first) || !ParseNumber(high, &last) || last < first) {
        return Usage("bad --seeds " + value);
      }
    } else {
      return Usage("unknown argument " + arg);
    }
  }
  auto began = gleaner::SteadyNow();  // wall time for the summary only
  uint64_t failed = 0;
  int64_t jobs = 0;
  int64_t launches = 0;
  for (uint64_t seed = first; seed <= last; ++seed) {
    gleaner::sim::SimulationOptions options;
    options.seed = seed;
    options.steps = static_cast<int>(steps);
    options.trace = trace ? &std::cout : nullptr;
    gleaner::sim::SimulationReport report =
        engine ? gleaner::sim::RunEngineSimulation(options) : gleaner::sim::RunSimulation(options);
    jobs += report.jobs;
    launches += report.launches;
    if (!report.ok) {
      ++failed;
      std::cout << report.Summary() << std::endl;
    } else if (verbose || trace) {
      std::cout << report.Summary() << std::endl;
    }
    if (seed == last) break;  // seeds up to UINT64_MAX must not wrap
  }
  double seconds = std::chrono::duration<double>(gleaner::SteadyNow() - began).count();
  std::cout << (last - first + 1) << " seed(s), " << failed << " failed; " << jobs << " jobs, "
            << launches << " launches in " << seconds << " s" << std::endl;
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
