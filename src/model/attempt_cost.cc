#include "model/attempt_cost.h"

#include <algorithm>
#include <array>
#include <utility>

#include "model/enum_names.h"

namespace gleaner {
namespace {

constexpr std::array<std::pair<CapacityLifecycle, std::string_view>, 7> kLifecycleNames = {{
    {CapacityLifecycle::kUnpriced, "unpriced"},
    {CapacityLifecycle::kOnDemand, "on-demand"},
    {CapacityLifecycle::kSpot, "spot"},
    {CapacityLifecycle::kFargate, "fargate"},
    {CapacityLifecycle::kFargateSpot, "fargate-spot"},
    {CapacityLifecycle::kLocal, "local"},
    {CapacityLifecycle::kAgent, "agent"},
}};

constexpr std::array<std::pair<AttemptEnding, std::string_view>, 4> kOutcomeNames = {{
    {AttemptEnding::kSucceeded, "succeeded"},
    {AttemptEnding::kFailed, "failed"},
    {AttemptEnding::kInterrupted, "interrupted"},
    {AttemptEnding::kTerminated, "terminated"},
}};

// The weight of vCPU and memory: 9 x vCPUs + GiB.
double CpuMemoryUnits(const Resources& resources) {
  return 9.0 * static_cast<double>(resources.millivcpus) / 1000.0 +
         static_cast<double>(resources.memory_mib) / 1024.0;
}

}  // namespace

std::string_view LifecycleName(CapacityLifecycle lifecycle) {
  return NameOf(kLifecycleNames, lifecycle);
}

std::optional<CapacityLifecycle> LifecycleNamed(std::string_view name) {
  return ValueOf(kLifecycleNames, name);
}

std::string_view OutcomeName(AttemptEnding outcome) { return NameOf(kOutcomeNames, outcome); }

std::optional<AttemptEnding> OutcomeNamed(std::string_view name) {
  return ValueOf(kOutcomeNames, name);
}

double SplitRatio(const Resources& reserved, const Resources& instance) {
  double units = CpuMemoryUnits(instance);
  if (units <= 0) return 0;
  double cpu_memory = std::clamp(CpuMemoryUnits(reserved) / units, 0.0, 1.0);
  if (instance.gpus <= 0) return cpu_memory;
  double gpus =
      std::clamp(static_cast<double>(reserved.gpus) / static_cast<double>(instance.gpus), 0.0, 1.0);
  return 0.9 * gpus + 0.1 * cpu_memory;
}

}  // namespace gleaner
