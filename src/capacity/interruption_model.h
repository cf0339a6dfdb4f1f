#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "capacity/capacity_pool.h"
#include "capacity/instance_catalog.h"
#include "capacity/interruption_profile.h"
#include "common/clock.h"

namespace gleaner {

struct RunningInstance {
  std::string instance_id;
  EpochMillis launched_at = 0;
};

// The caller's spot instances, per pool (any order within a pool).
using RunningInstancesByPool = std::map<CapacityPool, std::vector<RunningInstance>>;

enum class InterruptionCause {
  kCapacityReclaim,  // the pool was reclaimed (the background hazard)
  kMaxLifetime,      // the instance reached the profile's lifetime limit (GCP preemptible)
};

struct InstanceNotice {
  std::string instance_id;
  EpochMillis notice_at = 0;    // SIGTERM time; spot/instance-action appears
  EpochMillis deadline_at = 0;  // notice_at + the profile's notice: the instance is gone

  bool operator==(const InstanceNotice&) const = default;
};

struct InterruptionEvent {
  CapacityPool pool;
  InterruptionCause cause = InterruptionCause::kCapacityReclaim;
  EpochMillis started_at = 0;           // when the pool was hit (or the lifetime notice is due)
  std::vector<InstanceNotice> notices;  // never empty; by notice time
  std::optional<EpochMillis> pool_unavailable_until;  // end of the recovery gap (reclaims only)

  bool operator==(const InterruptionEvent&) const = default;
};

// The background interruption hazard of the simulated spot market.
//
// Each pool (type × zone) is reclaimed at random times, a Poisson process whose rate comes from
// its type's Spot Advisor bucket: a reclaim hits each of the pool's running instances with
// probability cluster_fraction, and the hit instances get their notices within cluster_window of
// the reclaim, so interruptions cluster. Reclaims per month are −ln(1 − r) / cluster_fraction for
// the bucket's monthly rate r, which makes the chance that an instance running for a whole month is
// interrupted exactly r. After each reclaim the pool is in a recovery gap (lognormal, median 8 min)
// and cannot launch.
//
// Every pool draws its reclaim times and gaps from its own stream seeded by (seed, pool), so a
// pool's timeline does not depend on which other pools exist, on queries, or on what runs; which
// instances a reclaim hits comes from a second per-pool stream. One seed and the same calls give
// the same events. Types without Spot Advisor figures (on demand only) are never reclaimed.
//
// Time only moves forward: Advance with a time before the previous Advance acts at that previous
// time. The catalog must outlive the model.
class InterruptionModel {
 public:
  InterruptionModel(const InstanceCatalog& catalog, InterruptionProfile profile, uint64_t seed,
                    EpochMillis start);

  // The pool's first reclaim strictly after `now`; nullopt for pools that are never reclaimed.
  std::optional<EpochMillis> NextInterruption(const CapacityPool& pool, EpochMillis now);

  // When the recovery gap the pool is in at `now` ends; nullopt when it can launch.
  std::optional<EpochMillis> RecoveryGapEnd(const CapacityPool& pool, EpochMillis now);
  bool CanLaunch(const CapacityPool& pool, EpochMillis now) { return !RecoveryGapEnd(pool, now); }

  // Delivers every reclaim and lifetime limit due up to `now` against the running instances:
  // the events that notify at least one instance, by start time then pool. An instance gets at
  // most one notice while it keeps being reported as running; instances launched after a reclaim
  // are not hit by it. Notices may lie up to cluster_window after `now`.
  std::vector<InterruptionEvent> Advance(EpochMillis now, const RunningInstancesByPool& running);

  // The recovery gaps of delivered reclaims still running at `now`, by pool: what a model made
  // again after a restart must keep (RestoreRecoveryGap). Reclaims themselves are not kept: the
  // hazard is memoryless, so a model started at the restart draws them as well as this one.
  std::map<CapacityPool, EpochMillis> RecoveryGaps(EpochMillis now) const;
  void RestoreRecoveryGap(const CapacityPool& pool, EpochMillis until);

  // Expected reclaims per month of the pool (0 when never reclaimed).
  double ReclaimsPerMonth(const CapacityPool& pool) const;
  const InterruptionProfile& profile() const { return profile_; }

 private:
  struct Reclaim {
    EpochMillis at = 0;
    int64_t recovery_gap_millis = 0;
  };
  struct PoolTimeline {
    std::mt19937_64 reclaim_random;    // reclaim times and recovery gaps
    std::mt19937_64 selection_random;  // which instances a reclaim hits, and their notice offsets
    double mean_millis_between_reclaims = 0;
    EpochMillis last_drawn_at = 0;
    std::deque<Reclaim> upcoming;  // drawn, not yet delivered by Advance
    EpochMillis recovered_at = 0;  // end of the latest delivered recovery gap
  };

  PoolTimeline* TimelineFor(const CapacityPool& pool);  // nullptr: never reclaimed
  void DrawThrough(PoolTimeline& timeline, EpochMillis time);
  void DeliverDueReclaims(const CapacityPool& pool, PoolTimeline& timeline, EpochMillis now,
                          const std::vector<RunningInstance>* instances,
                          std::vector<InterruptionEvent>& events);
  InterruptionEvent HitInstances(const CapacityPool& pool, PoolTimeline& timeline,
                                 const Reclaim& reclaim,
                                 const std::vector<RunningInstance>& instances);
  void AddLifetimeEvents(EpochMillis now, const RunningInstancesByPool& running,
                         std::vector<InterruptionEvent>& events);
  void ForgetInstancesNoLongerRunning(const RunningInstancesByPool& running);

  const InstanceCatalog& catalog_;
  InterruptionProfile profile_;
  uint64_t seed_;
  EpochMillis start_;
  EpochMillis advanced_to_;
  std::map<CapacityPool, PoolTimeline> timelines_;
  // Instances with a notice (and their pool), while they are still reported running.
  std::map<std::string, CapacityPool> notified_;
};

}  // namespace gleaner
