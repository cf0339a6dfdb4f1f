#include "capacity/interruption_profile.h"

#include <array>

#include "capacity/instance_catalog.h"

namespace gleaner {
namespace {

constexpr std::array<double, kInterruptionBucketCount> kMonthlyRates = {0.025, 0.08, 0.135, 0.19,
                                                                        0.25};
constexpr int64_t kThirtySeconds = 30'000;
constexpr int64_t kDay = int64_t{24} * 3'600'000;

InterruptionProfile Named(std::string name, int64_t notice_millis) {
  InterruptionProfile profile;
  profile.name = std::move(name);
  profile.notice_millis = notice_millis;
  return profile;
}

}  // namespace

double MonthlyInterruptionRate(int bucket) { return kMonthlyRates.at(static_cast<size_t>(bucket)); }

InterruptionProfile InterruptionProfile::Aws() { return Named("aws", 120'000); }

InterruptionProfile InterruptionProfile::Gcp() {
  InterruptionProfile profile = Named("gcp", kThirtySeconds);
  profile.max_lifetime_millis = kDay;
  profile.shutdown_at_notice = true;
  return profile;
}

InterruptionProfile InterruptionProfile::GcpSpot() {
  InterruptionProfile profile = Named("gcp-spot", kThirtySeconds);
  profile.shutdown_at_notice = true;
  return profile;
}

InterruptionProfile InterruptionProfile::Azure() { return Named("azure", kThirtySeconds); }

Result<InterruptionProfile> InterruptionProfileNamed(std::string_view name) {
  if (name == "aws") return InterruptionProfile::Aws();
  if (name == "gcp") return InterruptionProfile::Gcp();
  if (name == "gcp-spot") return InterruptionProfile::GcpSpot();
  if (name == "azure") return InterruptionProfile::Azure();
  return Status::InvalidArgument("unknown interruption profile '" + std::string(name) +
                                 "' (profiles: aws, gcp, gcp-spot, azure)");
}

}  // namespace gleaner
