#pragma once

#include <cstdint>
#include <string>

#include "common/status.h"

namespace gleaner {

// vCPU, memory and GPU amounts in fixed point, so fractional vCPUs (Fargate's 0.25) never drift.
struct Resources {
  int64_t millivcpus = 0;  // 1 vCPU = 1000
  int64_t memory_mib = 0;
  int64_t gpus = 0;

  bool FitsIn(const Resources& available) const {
    return millivcpus <= available.millivcpus && memory_mib <= available.memory_mib &&
           gpus <= available.gpus;
  }
  Resources& operator+=(const Resources& other) {
    millivcpus += other.millivcpus;
    memory_mib += other.memory_mib;
    gpus += other.gpus;
    return *this;
  }
  Resources& operator-=(const Resources& other) {
    millivcpus -= other.millivcpus;
    memory_mib -= other.memory_mib;
    gpus -= other.gpus;
    return *this;
  }
  friend Resources operator+(Resources a, const Resources& b) { return a += b; }
  friend Resources operator-(Resources a, const Resources& b) { return a -= b; }
  bool operator==(const Resources&) const = default;

  // "2 vCPU, 4096 MiB, 0 GPU" (for status reasons).
  std::string ToString() const;
};

}  // namespace gleaner

namespace gleaner {

struct ContainerProperties;

// What one attempt of a container needs: resourceRequirements (VCPU may be fractional, "0.25";
// MEMORY in MiB; GPU whole) take precedence over legacy vcpus/memory. Missing vCPU means 1 and
// missing memory is an error the caller reports (AWS requires memory for EC2 jobs).
Result<Resources> RequiredResources(const ContainerProperties& container);

// "0.25" -> 250 millivcpus; rejects negatives, more than 3 decimals and non-numbers.
Result<int64_t> ParseMilliVcpus(const std::string& text);

}  // namespace gleaner
