#pragma once

#include <cstdint>
#include <random>
#include <string>

namespace gleaner {

// EC2 instance ids, "i-" + 17 lower-case hex digits, from a seeded generator: one seed, one
// sequence of ids.
class InstanceIdGenerator {
 public:
  explicit InstanceIdGenerator(uint64_t seed) : random_(seed) {}

  std::string Next();

 private:
  std::mt19937_64 random_;
};

}  // namespace gleaner
