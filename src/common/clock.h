#pragma once

#include <cstdint>
#include <string>

namespace gleaner {

// Milliseconds since the Unix epoch: the unit AWS Batch uses for every timestamp.
using EpochMillis = int64_t;

// The only source of time. Real time in the server, virtual time in tests and simulation.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual EpochMillis NowMillis() const = 0;
};

class SystemClock final : public Clock {
 public:
  EpochMillis NowMillis() const override;
};

// A clock that moves only when told to.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(EpochMillis start = 1'700'000'000'000) : now_(start) {}
  EpochMillis NowMillis() const override { return now_; }
  void Advance(int64_t millis) { now_ += millis; }
  void Set(EpochMillis now) { now_ = now; }

 private:
  EpochMillis now_;
};

// "2026-11-24T08:22:00Z": UTC, whole seconds (what EC2 metadata and events show).
std::string FormatIso8601Seconds(EpochMillis at);

}  // namespace gleaner
