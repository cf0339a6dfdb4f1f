// FairShareTracker: decayed usage per share identifier, weights, and the compute reservation.
#include "scheduler/dispatch/fair_share.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include <nlohmann/json.hpp>

namespace gleaner {
namespace {

constexpr int kSerializationVersion = 1;

// What runs now counts as running on for this fraction of the decay window (at least 1 s): the
// proportional term of EffectiveUsage, see the header for how it was chosen.
constexpr double kRunningShareOfDecay = 0.05;

// A share that runs nothing and whose decayed usage fell below this is dropped, so share
// identifiers seen once do not accumulate forever. Its EffectiveUsage changes by less than this
// times its weight (from ~1e-6 vCPU-seconds to 0): no ordering that matters can change.
constexpr double kForgetBelowVcpuSeconds = 1e-6;

double ToVcpus(int64_t millivcpus) { return static_cast<double>(millivcpus) / 1000.0; }

}  // namespace

FairShareTracker::FairShareTracker(FairsharePolicy policy) : policy_(std::move(policy)) {
  IndexWeights();
}

void FairShareTracker::SetPolicy(FairsharePolicy policy, EpochMillis now) {
  // Bring every share up to `now` under the old decay before the new one applies.
  for (auto& [share, usage] : shares_) {
    usage.decayed_vcpu_seconds = DecayedAt(usage, now);
    usage.updated_at = std::max(usage.updated_at, now);
  }
  policy_ = std::move(policy);
  IndexWeights();
  ForgetIdleShares(now);
}

void FairShareTracker::IndexWeights() {
  exact_weights_.clear();
  prefix_weights_.clear();
  for (const ShareAttributes& attributes : policy_.share_distribution) {
    const std::string& id = attributes.share_identifier;
    double weight = attributes.weight_factor.value_or(1.0);
    if (!id.empty() && id.back() == '*') {
      prefix_weights_.emplace(id.substr(0, id.size() - 1), weight);  // emplace: first one wins
    } else {
      exact_weights_.emplace(id, weight);
    }
  }
}

double FairShareTracker::WeightFactor(const std::string& share) const {
  if (auto exact = exact_weights_.find(share); exact != exact_weights_.end()) return exact->second;
  const std::pair<const std::string, double>* best = nullptr;
  for (const auto& entry : prefix_weights_) {
    if (share.starts_with(entry.first) && (!best || entry.first.size() > best->first.size())) {
      best = &entry;
    }
  }
  return best ? best->second : 1.0;
}

double FairShareTracker::DecaySeconds() const {
  return static_cast<double>(std::max(0, policy_.share_decay_seconds.value_or(0)));
}

double FairShareTracker::DecayedAt(const ShareUsage& usage, EpochMillis now) const {
  double decay = DecaySeconds();
  if (decay <= 0) return 0;  // no memory
  if (now <= usage.updated_at) return usage.decayed_vcpu_seconds;
  double x = static_cast<double>(now - usage.updated_at) / 1000.0 / decay;
  // U(t + dt) = U(t) * exp(-x) + r * D * (1 - exp(-x)), x = dt / D: exact while r is constant.
  return usage.decayed_vcpu_seconds * std::exp(-x) +
         ToVcpus(usage.running_millivcpus) * decay * -std::expm1(-x);
}

FairShareTracker::ShareUsage& FairShareTracker::Advance(const std::string& share, EpochMillis now) {
  auto [it, inserted] = shares_.try_emplace(share);
  ShareUsage& usage = it->second;
  if (inserted) {
    usage.updated_at = now;
    return usage;
  }
  usage.decayed_vcpu_seconds = DecayedAt(usage, now);
  usage.updated_at = std::max(usage.updated_at, now);
  return usage;
}

void FairShareTracker::OnAttemptStarted(const std::string& share, int64_t millivcpus,
                                        EpochMillis now) {
  ShareUsage& usage = Advance(share, now);
  usage.running_millivcpus += std::max<int64_t>(0, millivcpus);
  ForgetIdleShares(now);
}

void FairShareTracker::OnAttemptEnded(const std::string& share, int64_t millivcpus,
                                      EpochMillis now) {
  ShareUsage& usage = Advance(share, now);
  usage.running_millivcpus = std::max<int64_t>(0, usage.running_millivcpus - millivcpus);
  ForgetIdleShares(now);
}

void FairShareTracker::ForgetIdleShares(EpochMillis now) {
  std::erase_if(shares_, [&](const auto& entry) {
    const ShareUsage& usage = entry.second;
    return usage.running_millivcpus == 0 && DecayedAt(usage, now) < kForgetBelowVcpuSeconds;
  });
}

double FairShareTracker::EffectiveUsage(const std::string& share, EpochMillis now) const {
  auto it = shares_.find(share);
  if (it == shares_.end()) return 0;
  const ShareUsage& usage = it->second;
  double running_seconds = std::max(1.0, kRunningShareOfDecay * DecaySeconds());
  return WeightFactor(share) *
         (DecayedAt(usage, now) + ToVcpus(usage.running_millivcpus) * running_seconds);
}

std::vector<std::string> FairShareTracker::ShareOrder(std::vector<std::string> shares,
                                                      EpochMillis now) const {
  std::sort(shares.begin(), shares.end());
  shares.erase(std::unique(shares.begin(), shares.end()), shares.end());
  std::vector<std::pair<double, std::string>> keyed;
  keyed.reserve(shares.size());
  for (std::string& share : shares) {
    double usage = EffectiveUsage(share, now);
    keyed.emplace_back(usage, std::move(share));
  }
  std::sort(keyed.begin(), keyed.end());
  std::vector<std::string> ordered;
  ordered.reserve(keyed.size());
  for (auto& [usage, share] : keyed) ordered.push_back(std::move(share));
  return ordered;
}

int64_t FairShareTracker::RunningMilliVcpus(const std::string& share) const {
  auto it = shares_.find(share);
  return it == shares_.end() ? 0 : it->second.running_millivcpus;
}

int FairShareTracker::ActiveShares() const {
  return static_cast<int>(std::count_if(shares_.begin(), shares_.end(), [](const auto& entry) {
    return entry.second.running_millivcpus > 0;
  }));
}

int64_t FairShareTracker::ReservedMilliVcpus(int64_t max_millivcpus) const {
  int64_t reservation = std::clamp(policy_.compute_reservation.value_or(0), 0, 99);
  if (reservation == 0 || max_millivcpus <= 0) return 0;
  // Integers, one factor C/100 per active share: deterministic everywhere, no 0.29999... surprises.
  int64_t reserved = max_millivcpus;
  int active = ActiveShares();
  // floor(r * C / 100) as (r / 100) * C + (r % 100) * C / 100: the same value without the
  // product, which overflows for an unmanaged compute environment's unlimited INT64_MAX.
  for (int i = 0; i < active && reserved > 0; ++i) {
    reserved = reserved / 100 * reservation + reserved % 100 * reservation / 100;
  }
  return reserved;
}

std::string FairShareTracker::Serialize() const {
  nlohmann::json shares = nlohmann::json::array();
  for (const auto& [share, usage] : shares_) {
    shares.push_back({{"shareIdentifier", share},
                      {"decayedVcpuSeconds", usage.decayed_vcpu_seconds},
                      {"updatedAt", usage.updated_at},
                      {"runningMillivcpus", usage.running_millivcpus}});
  }
  // nlohmann writes doubles with 17 significant digits: they read back bit for bit.
  return nlohmann::json{{"version", kSerializationVersion}, {"shares", std::move(shares)}}.dump();
}

Result<FairShareTracker> FairShareTracker::Deserialize(FairsharePolicy policy,
                                                       const std::string& text) {
  nlohmann::json json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  auto bad = [](const std::string& why) { return Status::Internal("fair-share state: " + why); };
  if (!json.is_object()) return bad("not a JSON object");
  auto version = json.find("version");
  if (version == json.end() || !version->is_number_integer() ||
      version->get<int64_t>() != kSerializationVersion) {
    return bad("unsupported version");
  }
  auto shares = json.find("shares");
  if (shares == json.end() || !shares->is_array()) return bad("\"shares\" is not an array");

  FairShareTracker tracker(std::move(policy));
  for (const nlohmann::json& entry : *shares) {
    if (!entry.is_object()) return bad("a share is not an object");
    auto id = entry.find("shareIdentifier");
    auto decayed = entry.find("decayedVcpuSeconds");
    auto updated_at = entry.find("updatedAt");
    auto running = entry.find("runningMillivcpus");
    if (id == entry.end() || !id->is_string() || decayed == entry.end() || !decayed->is_number() ||
        updated_at == entry.end() || !updated_at->is_number_integer() || running == entry.end() ||
        !running->is_number_integer()) {
      return bad(
          "a share lacks shareIdentifier, decayedVcpuSeconds, updatedAt or runningMillivcpus");
    }
    ShareUsage usage{decayed->get<double>(), updated_at->get<int64_t>(), running->get<int64_t>()};
    if (!std::isfinite(usage.decayed_vcpu_seconds) || usage.decayed_vcpu_seconds < 0 ||
        usage.running_millivcpus < 0) {
      return bad("share " + id->get<std::string>() + " has negative or non-finite usage");
    }
    if (!tracker.shares_.emplace(id->get<std::string>(), usage).second) {
      return bad("share " + id->get<std::string>() + " appears twice");
    }
  }
  return tracker;
}

}  // namespace gleaner
