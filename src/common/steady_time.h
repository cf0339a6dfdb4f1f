#pragma once

#include <chrono>

namespace gleaner {

// The machine's monotonic clock, for the deadlines of real waits: a condition variable, poll(2),
// a child process's output. Only threads that really block use it; what the scheduler, the engine
// and the simulated cloud decide runs on a Clock (clock.h), which a test or the simulation moves.
// Outside common, code says SteadyTime and SteadyNow(), never std::chrono::steady_clock (a ctest
// checks it), so every use of real time is easy to find.
using SteadyTime = std::chrono::steady_clock::time_point;

inline SteadyTime SteadyNow() { return std::chrono::steady_clock::now(); }

// From `from` to `to`, in seconds (for metrics).
inline double SecondsBetween(SteadyTime from, SteadyTime to) {
  return std::chrono::duration<double>(to - from).count();
}

}  // namespace gleaner
