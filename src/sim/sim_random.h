#pragma once

#include <cstdint>
#include <ostream>
#include <random>
#include <string>
#include <vector>

#include "common/clock.h"

namespace gleaner::sim {

// The simulation's one source of randomness: everything random in a run (the workload, the fake
// executor's processes, the seeds of restarted schedulers) is drawn from it, so a seed is one
// exact execution. The distributions are written out here rather than taken from <random>, whose
// distributions differ between standard libraries: a failing seed replays the same everywhere.
class SimRandom {
 public:
  explicit SimRandom(uint64_t seed) : engine_(seed) {}

  uint64_t Next() { return engine_(); }
  // Uniform in [low, high] (the modulo bias is irrelevant for a test workload).
  int64_t Between(int64_t low, int64_t high) {
    return low + static_cast<int64_t>(engine_() % static_cast<uint64_t>(high - low + 1));
  }
  bool Percent(int percent) { return Between(0, 99) < percent; }
  size_t Index(size_t size) { return static_cast<size_t>(engine_() % size); }
  template <typename T>
  const T& Pick(const std::vector<T>& items) {
    return items[Index(items.size())];
  }

 private:
  std::mt19937_64 engine_;
};

// What happened, one line per event, in virtual time: off unless a replay asks for it.
class Trace {
 public:
  Trace(const Clock& clock, std::ostream* out) : clock_(clock), out_(out) {}
  bool on() const { return out_ != nullptr; }
  void Line(const std::string& text) const {
    if (out_ == nullptr) return;
    int64_t millis = clock_.NowMillis() - kStart;
    *out_ << "[" << millis / 1000 << "." << (millis % 1000) / 100 << (millis % 100) / 10
          << millis % 10 << "s] " << text << "\n";
  }

  static constexpr EpochMillis kStart = 1'700'000'000'000;

 private:
  const Clock& clock_;
  std::ostream* out_;
};

}  // namespace gleaner::sim
