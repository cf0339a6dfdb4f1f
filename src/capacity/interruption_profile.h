#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"

namespace gleaner {

// A month as AWS prices it: 730 hours.
inline constexpr int64_t kMonthMillis = 730LL * 3'600'000;

// The share of a pool's spot instances interrupted per month that the simulator targets for a
// Spot Advisor bucket: the middle of the advisor's bounds, 2.5 %, 8 %, 13.5 %, 19 %; the open top
// bucket (22-100) counts as 25 % (its lower bound plus half the width of the bucket below), since
// its nominal middle, 61 %, would contradict the advisor's overall "<10%" and the public traces.
double MonthlyInterruptionRate(int bucket);

// How a cloud interrupts: notice length, lifetime limit, and the shape of interruptions.
struct InterruptionProfile {
  std::string name;                              // "aws", "gcp", "gcp-spot", "azure"
  int64_t notice_millis = 120'000;               // notice to deadline
  std::optional<int64_t> max_lifetime_millis;    // GCP preemptible VMs stop after 24 h
  double cluster_fraction = 0.5;                 // share of a pool's instances one reclaim hits
  int64_t cluster_window_millis = 180'000;       // their notices spread over this window
  int64_t recovery_gap_median_millis = 480'000;  // the pool cannot launch for a while after
  double recovery_gap_sigma = 1.4;  // lognormal shape: mean ≈ 2.7 × median ≈ 21 min
  int64_t recovery_gap_max_millis = int64_t{6} * 3'600'000;  // cuts the lognormal's long tail
  // GCP sends the VM an ACPI soft-off at the preemption notice: its jobs get SIGTERM then. On AWS
  // (and Azure) the notice is only in instance metadata and events; jobs are stopped at shutdown.
  bool shutdown_at_notice = false;

  static InterruptionProfile Aws();      // 120 s notice
  static InterruptionProfile Gcp();      // preemptible VMs: 30 s notice, stopped after 24 h
  static InterruptionProfile GcpSpot();  // Spot VMs: 30 s notice, no lifetime limit
  static InterruptionProfile Azure();    // 30 s notice
};

// "aws", "gcp", "gcp-spot" or "azure"; anything else is InvalidArgument naming the profiles.
Result<InterruptionProfile> InterruptionProfileNamed(std::string_view name);

}  // namespace gleaner
