// Fair-share accounting for one job queue: how much each share identifier has used, and so which
// share's job goes next. Pure and deterministic: time comes only from arguments, state lives in
// ordered containers, and the same events give the same order, bit for bit.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "model/scheduling_policy.h"

namespace gleaner {

// What gleaner adopts from AWS Batch (user guide "Use fair-share scheduling", API FairsharePolicy,
// "Share identifiers", and the AWS HPC blog "Diving deeper into fair-share scheduling"):
//  - Usage of a share is its vCPU usage over time (running and recently completed attempts)
//    multiplied by its weightFactor; the next job comes from the share with the lowest usage. A
//    lower weightFactor therefore means a larger share: 0.125 gets 8x the vCPUs of weight 1.
//    Shares not listed have weight 1.
//  - shareDecaySeconds makes old usage count less than recent usage. AWS does not publish its
//    formula; gleaner uses an exponential decay with time constant shareDecaySeconds (usage from
//    shareDecaySeconds*ln2 ago counts half). 0 (or absent) means no memory: only what runs now
//    counts, as the user guide and CloudFormation say. (The newest API reference instead reads 0
//    as "the default 600 s window"; we follow the user guide and our spec.)
//  - computeReservation C holds back (C/100)^N of the queue's maximum vCPUs for shares that are
//    not active, N = number of active shares; it is 0 without a policy value.
//  - Not adopted: AWS also counts a share with only queued (SUBMITTED..RUNNABLE) jobs as active
//    and keeps it active for the decay window after its last job. Here a share is active while it
//    has attempts running: the tracker sees attempts, not queued jobs, and a share that runs
//    nothing is exactly the one the reserve is for. The user guide's "decay period is
//    shareDecaySeconds + OrderMinutes" is not adopted either: it never says what OrderMinutes is.
//
// The decayed usage. Let r(t) be the vCPUs a share runs at time t and D = shareDecaySeconds. The
// share's decayed vCPU-time is
//     U(t) = integral over s <= t of r(s) * exp(-(t - s) / D) ds        [vCPU-seconds]
// so usage from D*ln2 seconds ago counts half, and running work adds to U continuously. Between two
// events r is constant, so the tracker updates U lazily, at each event, with the exact closed form
//     U(t + dt) = U(t) * exp(-dt / D) + r * D * (1 - exp(-dt / D))
// (d/dt U = r - U / D). The naive "U * exp(-dt/D) + r * dt" is its first-order approximation and
// over-counts long intervals. 1 - exp(-x) is computed as -expm1(-x), exact for small steps; both
// terms are non-negative and U stays below D times the most vCPUs ever run (604800 s * vCPUs), so
// months of virtual time neither overflow nor drift, and many small steps equal one long step.
// With D = 0, U = 0.
//
//     EffectiveUsage = weightFactor * (U + r * tau),   tau = max(1 s, D / 20)   [vCPU-seconds]
//
// U is an integral term: it makes the long-run split exact. r * tau, what runs now counted as if
// it ran on for 5% of the decay window, is a proportional term: an attempt counts the moment it
// starts, so attempts started at the same instant spread over shares instead of all going to the
// share that was lowest before the first one, and the split stays put between decisions instead of
// swinging with the slow history (with D = 0 it is the whole usage: only what runs now). Tuned with
// the simulation in fair_share_test.cc (12 and 100 vCPUs, 1-vCPU jobs of 90 s to 1 h, weights 2:1
// and 8:1, D from 600 s to 1 day): tau = 1 s let a 2:1 split fall to 1:1 when jobs run as long as
// D, tau = D (r in full) skewed 8:1 to ~6.5:1 because the share deciding on a freed vCPU always
// sees its own r one attempt short; D / 20 gave 2:1 exactly and 8:1 within 3% whenever D is at
// least ~6 job lengths. Shorter decays than that are coarse, as AWS itself warns ("consider
// adjusting this number if you have jobs that run longer than ten minutes"). Shares settle where
// weightFactor * r is equal: vCPUs proportional to 1 / weightFactor.
class FairShareTracker {
 public:
  explicit FairShareTracker(FairsharePolicy policy);

  // UpdateSchedulingPolicy takes effect live. Usage up to `now` is decayed with the old
  // shareDecaySeconds, from `now` on with the new one (U carries over; a new D of 0 clears it);
  // weights apply at once to all usage.
  void SetPolicy(FairsharePolicy policy, EpochMillis now);
  const FairsharePolicy& policy() const { return policy_; }

  // An attempt of `share` holding `millivcpus` starts or ends. Ending more than runs (a snapshot
  // restored from before the attempt started) clamps the share's running vCPUs at 0.
  void OnAttemptStarted(const std::string& share, int64_t millivcpus, EpochMillis now);
  void OnAttemptEnded(const std::string& share, int64_t millivcpus, EpochMillis now);

  // The share's weightFactor: the exact shareIdentifier entry, else the longest matching "prefix*"
  // entry ("*" matches every share), else 1.0. The first of duplicate entries wins.
  double WeightFactor(const std::string& share) const;

  // weightFactor * (decayed vCPU-seconds + vCPUs running now * tau), see above. Lower goes first;
  // unknown shares have 0. Times before the share's last event count as that event's time.
  double EffectiveUsage(const std::string& share, EpochMillis now) const;

  // `shares` (duplicates removed) in the order their next job should be considered: lowest
  // EffectiveUsage first, ties by share name.
  std::vector<std::string> ShareOrder(std::vector<std::string> shares, EpochMillis now) const;

  int64_t RunningMilliVcpus(const std::string& share) const;
  // Shares with attempts running.
  int ActiveShares() const;
  // The millivcpus of `max_millivcpus` held back for shares that run nothing:
  // max * (C/100)^N, N = ActiveShares(), computed in integers (floored at each of the N steps, so
  // at most 100 millivcpus below the exact value). With N = 0 every share is inactive, so the whole
  // pool is "reserved" for them: the reserve only limits shares that already run something.
  int64_t ReservedMilliVcpus(int64_t max_millivcpus) const;

  // Persistence across restarts: every share's decayed vCPU-seconds, when it was last brought up to
  // date, and its running millivcpus (end attempts lost in a restart with OnAttemptEnded as usual).
  // Deserialize(policy, Serialize()) behaves exactly like the original.
  std::string Serialize() const;
  static Result<FairShareTracker> Deserialize(FairsharePolicy policy, const std::string& text);

 private:
  struct ShareUsage {
    double decayed_vcpu_seconds = 0;  // U at updated_at
    EpochMillis updated_at = 0;       // the last event that touched this share
    int64_t running_millivcpus = 0;
  };

  double DecaySeconds() const;
  double DecayedAt(const ShareUsage& usage, EpochMillis now) const;
  ShareUsage& Advance(const std::string& share, EpochMillis now);
  void ForgetIdleShares(EpochMillis now);
  void IndexWeights();

  FairsharePolicy policy_;
  std::map<std::string, double> exact_weights_;
  std::map<std::string, double> prefix_weights_;  // key: the identifier without its '*'
  std::map<std::string, ShareUsage> shares_;
};

}  // namespace gleaner
