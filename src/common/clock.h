#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "common/steady_time.h"

namespace gleaner {

// Milliseconds since the Unix epoch: the unit AWS Batch uses for every timestamp.
using EpochMillis = int64_t;

// The only source of time. Real time in the server, virtual time in tests and simulation.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual EpochMillis NowMillis() const = 0;
  // Monotonic time, for deadlines that must not move with the wall clock (a held poll's end):
  // the machine's steady clock in the server, the same virtual time in the simulation.
  virtual SteadyTime MonotonicNow() const = 0;
};

class SystemClock final : public Clock {
 public:
  EpochMillis NowMillis() const override;
  SteadyTime MonotonicNow() const override { return SteadyNow(); }
};

// A clock that moves only when told to.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(EpochMillis start = 1'700'000'000'000) : now_(start) {}
  EpochMillis NowMillis() const override { return now_; }
  SteadyTime MonotonicNow() const override { return SteadyTime(std::chrono::milliseconds(now_)); }
  void Advance(int64_t millis) { now_ += millis; }
  void Set(EpochMillis now) { now_ = now; }

 private:
  EpochMillis now_;
};

// "2026-11-24T08:22:00Z": UTC, whole seconds (what EC2 metadata and events show).
std::string FormatIso8601Seconds(EpochMillis at);

}  // namespace gleaner
