#include "model/resources.h"

#include <optional>
#include <string_view>

#include "model/job_definition.h"

namespace gleaner {
namespace {

constexpr int64_t kMilliPerUnit = 1000;
constexpr size_t kMaxVcpuDecimals = 3;
// Keeps every parsed amount, and sums of many of them, far from int64 overflow.
constexpr int64_t kMaxWholeAmount = int64_t{1} << 40;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// "0.25" -> "0.25", 250 millivcpus; 2000 -> "2".
std::string FormatMilli(int64_t milli) {
  std::string text = milli < 0 ? "-" : "";
  uint64_t magnitude = milli < 0 ? 0 - static_cast<uint64_t>(milli) : static_cast<uint64_t>(milli);
  text += std::to_string(magnitude / kMilliPerUnit);
  uint64_t fraction = magnitude % kMilliPerUnit;
  if (fraction == 0) return text;
  std::string digits = std::to_string(fraction + kMilliPerUnit).substr(1);  // zero-padded to 3
  digits.erase(digits.find_last_not_of('0') + 1);
  return text + "." + digits;
}

// A whole number of at most kMaxWholeAmount written with digits only.
std::optional<int64_t> ParseWholeNumber(std::string_view text) {
  if (text.empty()) return std::nullopt;
  int64_t value = 0;
  for (char c : text) {
    if (!IsDigit(c)) return std::nullopt;
    value = value * 10 + (c - '0');
    if (value > kMaxWholeAmount) return std::nullopt;
  }
  return value;
}

// The amounts one container asks for, before defaults and checks.
struct Requested {
  std::optional<std::string> vcpu;
  std::optional<std::string> memory;
  std::optional<std::string> gpu;
};

Result<Requested> CollectRequirements(const ContainerProperties& container) {
  Requested requested;
  for (const ResourceRequirement& requirement : container.resource_requirements) {
    std::optional<std::string>* slot = nullptr;
    if (requirement.type == "VCPU") slot = &requested.vcpu;
    if (requirement.type == "MEMORY") slot = &requested.memory;
    if (requirement.type == "GPU") slot = &requested.gpu;
    if (slot == nullptr) {
      return Status::InvalidArgument("containerProperties.resourceRequirements: unknown type '" +
                                     requirement.type + "' (expected VCPU, MEMORY or GPU)");
    }
    if (slot->has_value()) {
      return Status::InvalidArgument("containerProperties.resourceRequirements: " +
                                     requirement.type + " is given more than once");
    }
    *slot = requirement.value;
  }
  return requested;
}

Result<int64_t> RequiredMilliVcpus(const Requested& requested,
                                   const ContainerProperties& container) {
  if (requested.vcpu) {
    Result<int64_t> millivcpus = ParseMilliVcpus(*requested.vcpu);
    if (!millivcpus.ok()) {
      return Status::InvalidArgument("containerProperties.resourceRequirements: VCPU " +
                                     millivcpus.status().message());
    }
    if (*millivcpus == 0) {
      return Status::InvalidArgument(
          "containerProperties.resourceRequirements: VCPU must be greater than 0");
    }
    return millivcpus;
  }
  if (container.vcpus) {
    if (*container.vcpus < 1) {
      return Status::InvalidArgument("containerProperties.vcpus must be at least 1");
    }
    return int64_t{*container.vcpus} * kMilliPerUnit;
  }
  return kMilliPerUnit;  // AWS runs a container without a vCPU requirement on one vCPU.
}

Result<int64_t> RequiredMemoryMib(const Requested& requested,
                                  const ContainerProperties& container) {
  if (requested.memory) {
    std::optional<int64_t> mib = ParseWholeNumber(*requested.memory);
    if (!mib || *mib == 0) {
      return Status::InvalidArgument("containerProperties.resourceRequirements: MEMORY value '" +
                                     *requested.memory +
                                     "' is not a whole number of MiB greater than 0");
    }
    return *mib;
  }
  if (container.memory) {
    if (*container.memory < 1) {
      return Status::InvalidArgument("containerProperties.memory must be at least 1 MiB");
    }
    return int64_t{*container.memory};
  }
  return Status::InvalidArgument(
      "containerProperties.resourceRequirements: MEMORY is required (in MiB; or the legacy "
      "containerProperties.memory)");
}

Result<int64_t> RequiredGpus(const Requested& requested) {
  if (!requested.gpu) return int64_t{0};
  std::optional<int64_t> gpus = ParseWholeNumber(*requested.gpu);
  if (!gpus) {
    return Status::InvalidArgument("containerProperties.resourceRequirements: GPU value '" +
                                   *requested.gpu + "' is not a whole number");
  }
  return *gpus;
}

}  // namespace

std::string Resources::ToString() const {
  return FormatMilli(millivcpus) + " vCPU, " + std::to_string(memory_mib) + " MiB, " +
         std::to_string(gpus) + " GPU";
}

Result<int64_t> ParseMilliVcpus(const std::string& text) {
  auto invalid = [&text] {
    return Status::InvalidArgument("value '" + text +
                                   "' is not a non-negative number with at most 3 decimals");
  };
  std::string_view whole_part = text;
  std::string_view fraction_part;
  if (size_t dot = text.find('.'); dot != std::string::npos) {
    whole_part = std::string_view(text).substr(0, dot);
    fraction_part = std::string_view(text).substr(dot + 1);
    // "1." and ".5" are refused: AWS documents values like "0.25" and "1".
    if (fraction_part.empty() || fraction_part.size() > kMaxVcpuDecimals) return invalid();
  }
  std::optional<int64_t> whole = ParseWholeNumber(whole_part);
  if (!whole) return invalid();
  int64_t fraction = 0;
  for (size_t position = 0; position < kMaxVcpuDecimals; ++position) {
    fraction *= 10;
    if (position < fraction_part.size()) {
      char c = fraction_part[position];
      if (!IsDigit(c)) return invalid();
      fraction += c - '0';
    }
  }
  return *whole * kMilliPerUnit + fraction;
}

Result<Resources> RequiredResources(const ContainerProperties& container) {
  Result<Requested> requested = CollectRequirements(container);
  if (!requested.ok()) return requested.status();
  Result<int64_t> millivcpus = RequiredMilliVcpus(*requested, container);
  if (!millivcpus.ok()) return millivcpus.status();
  Result<int64_t> memory_mib = RequiredMemoryMib(*requested, container);
  if (!memory_mib.ok()) return memory_mib.status();
  Result<int64_t> gpus = RequiredGpus(*requested);
  if (!gpus.ok()) return gpus.status();
  return Resources{*millivcpus, *memory_mib, *gpus};
}

}  // namespace gleaner
