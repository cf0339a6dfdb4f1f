#include "model/preemption.h"

#include <charconv>

namespace gleaner {

std::optional<PreemptionBudget> ParsePreemptionBudget(std::string_view text) {
  if (text == "attempts") return PreemptionBudget{};
  if (text == "unlimited") return PreemptionBudget{false, std::nullopt};
  int retries = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), retries);
  if (text.empty() || error != std::errc() || end != text.data() + text.size() || retries < 0 ||
      retries > kMaxPreemptionRetries) {
    return std::nullopt;
  }
  return PreemptionBudget{false, retries};
}

std::string FormatPreemptionBudget(const PreemptionBudget& budget) {
  if (budget.counts_as_attempts) return "attempts";
  return budget.retries ? std::to_string(*budget.retries) : "unlimited";
}

}  // namespace gleaner
