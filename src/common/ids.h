#pragma once

#include <cstdint>
#include <random>
#include <string>

#include "common/clock.h"

namespace gleaner {

// Time-ordered UUIDs (RFC 9562 version 7): ids sort by creation time, so store inserts append
// instead of scattering over the index. Randomness is injected as a seed.
class UuidV7Generator {
 public:
  UuidV7Generator(const Clock& clock, uint64_t seed) : clock_(clock), random_(seed) {}

  // "0190b6c2-8f3a-7c1e-9a4b-1d2e3f4a5b6c": 48 bits of milliseconds, then a counter and random.
  std::string Next();

 private:
  const Clock& clock_;
  std::mt19937_64 random_;
  int64_t last_millis_ = -1;
  uint16_t sequence_ = 0;  // 12 bits: keeps ids minted within one millisecond in order.
};

// Lower-case hex of `length` random digits, for ids like "i-" + 17 hex.
std::string RandomHex(std::mt19937_64& random, int length);

}  // namespace gleaner
