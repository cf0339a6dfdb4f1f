#include "capacity/interruption_model.h"

#include <algorithm>
#include <cmath>
#include <tuple>
#include <utility>

#include "capacity/seeded_random.h"

namespace gleaner {
namespace {

constexpr uint64_t kReclaimStream = 1;
constexpr uint64_t kSelectionStream = 2;

double ClusterFraction(const InterruptionProfile& profile) {
  return std::clamp(profile.cluster_fraction, 0.01, 1.0);
}

std::vector<const RunningInstance*> SortedById(const std::vector<RunningInstance>& instances) {
  std::vector<const RunningInstance*> sorted;
  sorted.reserve(instances.size());
  for (const RunningInstance& instance : instances) sorted.push_back(&instance);
  std::sort(sorted.begin(), sorted.end(), [](const RunningInstance* a, const RunningInstance* b) {
    return a->instance_id < b->instance_id;
  });
  return sorted;
}

bool EventOrder(const InterruptionEvent& a, const InterruptionEvent& b) {
  return std::tie(a.started_at, a.pool, a.cause, a.notices.front().instance_id) <
         std::tie(b.started_at, b.pool, b.cause, b.notices.front().instance_id);
}

}  // namespace

InterruptionModel::InterruptionModel(const InstanceCatalog& catalog, InterruptionProfile profile,
                                     uint64_t seed, EpochMillis start)
    : catalog_(catalog),
      profile_(std::move(profile)),
      seed_(seed),
      start_(start),
      advanced_to_(start) {}

double InterruptionModel::ReclaimsPerMonth(const CapacityPool& pool) const {
  const InstanceType* type = catalog_.Find(pool.instance_type);
  if (type == nullptr || !type->spot) return 0.0;
  double monthly_rate = MonthlyInterruptionRate(type->spot->interruption_bucket);
  return -std::log1p(-monthly_rate) / ClusterFraction(profile_);
}

InterruptionModel::PoolTimeline* InterruptionModel::TimelineFor(const CapacityPool& pool) {
  auto found = timelines_.find(pool);
  if (found != timelines_.end()) return &found->second;
  double reclaims_per_month = ReclaimsPerMonth(pool);
  if (reclaims_per_month <= 0) return nullptr;
  uint64_t pool_seed = MixSeed(seed_, StableHash(pool.ToString()));
  PoolTimeline& timeline = timelines_[pool];
  timeline.reclaim_random.seed(MixSeed(pool_seed, kReclaimStream));
  timeline.selection_random.seed(MixSeed(pool_seed, kSelectionStream));
  timeline.mean_millis_between_reclaims = static_cast<double>(kMonthMillis) / reclaims_per_month;
  timeline.last_drawn_at = start_;
  timeline.recovered_at = start_;
  // Reclaims before the model first looked at this pool are history: nothing of the caller's
  // ran there, only their recovery gaps still count.
  DrawThrough(timeline, advanced_to_);
  while (timeline.upcoming.front().at <= advanced_to_) {
    const Reclaim& reclaim = timeline.upcoming.front();
    timeline.recovered_at =
        std::max(timeline.recovered_at, reclaim.at + reclaim.recovery_gap_millis);
    timeline.upcoming.pop_front();
  }
  return &timeline;
}

void InterruptionModel::DrawThrough(PoolTimeline& timeline, EpochMillis time) {
  while (timeline.upcoming.empty() || timeline.upcoming.back().at <= time) {
    double wait = DrawExponential(timeline.reclaim_random, timeline.mean_millis_between_reclaims);
    EpochMillis at = timeline.last_drawn_at + std::max<int64_t>(1, std::llround(wait));
    double gap =
        static_cast<double>(profile_.recovery_gap_median_millis) *
        std::exp(profile_.recovery_gap_sigma * DrawStandardNormal(timeline.reclaim_random));
    int64_t recovery_gap =
        std::clamp<int64_t>(std::llround(gap), 1, profile_.recovery_gap_max_millis);
    timeline.upcoming.push_back({at, recovery_gap});
    timeline.last_drawn_at = at;
  }
}

std::optional<EpochMillis> InterruptionModel::NextInterruption(const CapacityPool& pool,
                                                               EpochMillis now) {
  PoolTimeline* timeline = TimelineFor(pool);
  if (timeline == nullptr) return std::nullopt;
  DrawThrough(*timeline, now);
  for (const Reclaim& reclaim : timeline->upcoming) {
    if (reclaim.at > now) return reclaim.at;
  }
  return std::nullopt;  // unreachable: DrawThrough leaves one reclaim after `now`
}

std::map<CapacityPool, EpochMillis> InterruptionModel::RecoveryGaps(EpochMillis now) const {
  std::map<CapacityPool, EpochMillis> gaps;
  for (const auto& [pool, timeline] : timelines_) {
    if (timeline.recovered_at > now) gaps[pool] = timeline.recovered_at;
  }
  return gaps;
}

void InterruptionModel::RestoreRecoveryGap(const CapacityPool& pool, EpochMillis until) {
  PoolTimeline* timeline = TimelineFor(pool);
  if (timeline != nullptr) timeline->recovered_at = std::max(timeline->recovered_at, until);
}

std::optional<EpochMillis> InterruptionModel::RecoveryGapEnd(const CapacityPool& pool,
                                                             EpochMillis now) {
  PoolTimeline* timeline = TimelineFor(pool);
  if (timeline == nullptr) return std::nullopt;
  DrawThrough(*timeline, now);
  EpochMillis gap_end = timeline->recovered_at;
  for (const Reclaim& reclaim : timeline->upcoming) {
    if (reclaim.at > now) break;
    gap_end = std::max(gap_end, reclaim.at + reclaim.recovery_gap_millis);
  }
  if (gap_end > now) return gap_end;
  return std::nullopt;
}

std::vector<InterruptionEvent> InterruptionModel::Advance(EpochMillis now,
                                                          const RunningInstancesByPool& running) {
  now = std::max(now, advanced_to_);
  ForgetInstancesNoLongerRunning(running);
  for (const auto& [pool, instances] : running) TimelineFor(pool);
  std::vector<InterruptionEvent> events;
  for (auto& [pool, timeline] : timelines_) {
    auto found = running.find(pool);
    DeliverDueReclaims(pool, timeline, now, found == running.end() ? nullptr : &found->second,
                       events);
  }
  AddLifetimeEvents(now, running, events);
  std::sort(events.begin(), events.end(), EventOrder);
  advanced_to_ = now;
  return events;
}

void InterruptionModel::DeliverDueReclaims(const CapacityPool& pool, PoolTimeline& timeline,
                                           EpochMillis now,
                                           const std::vector<RunningInstance>* instances,
                                           std::vector<InterruptionEvent>& events) {
  DrawThrough(timeline, now);
  while (timeline.upcoming.front().at <= now) {
    Reclaim reclaim = timeline.upcoming.front();
    timeline.upcoming.pop_front();
    timeline.recovered_at =
        std::max(timeline.recovered_at, reclaim.at + reclaim.recovery_gap_millis);
    if (instances == nullptr || instances->empty()) continue;
    InterruptionEvent event = HitInstances(pool, timeline, reclaim, *instances);
    if (!event.notices.empty()) events.push_back(std::move(event));
  }
}

InterruptionEvent InterruptionModel::HitInstances(const CapacityPool& pool, PoolTimeline& timeline,
                                                  const Reclaim& reclaim,
                                                  const std::vector<RunningInstance>& instances) {
  InterruptionEvent event;
  event.pool = pool;
  event.cause = InterruptionCause::kCapacityReclaim;
  event.started_at = reclaim.at;
  event.pool_unavailable_until = reclaim.at + reclaim.recovery_gap_millis;
  double fraction = ClusterFraction(profile_);
  for (const RunningInstance* instance : SortedById(instances)) {
    if (instance->launched_at > reclaim.at || notified_.contains(instance->instance_id)) continue;
    if (DrawUnit(timeline.selection_random) >= fraction) continue;
    auto offset = static_cast<int64_t>(DrawUnit(timeline.selection_random) *
                                       static_cast<double>(profile_.cluster_window_millis));
    EpochMillis notice_at = reclaim.at + offset;
    event.notices.push_back({instance->instance_id, notice_at, notice_at + profile_.notice_millis});
    notified_.emplace(instance->instance_id, pool);
  }
  std::sort(event.notices.begin(), event.notices.end(),
            [](const InstanceNotice& a, const InstanceNotice& b) {
              return std::tie(a.notice_at, a.instance_id) < std::tie(b.notice_at, b.instance_id);
            });
  return event;
}

void InterruptionModel::AddLifetimeEvents(EpochMillis now, const RunningInstancesByPool& running,
                                          std::vector<InterruptionEvent>& events) {
  if (!profile_.max_lifetime_millis) return;
  for (const auto& [pool, instances] : running) {
    for (const RunningInstance* instance : SortedById(instances)) {
      EpochMillis deadline_at = instance->launched_at + *profile_.max_lifetime_millis;
      EpochMillis notice_at = deadline_at - profile_.notice_millis;
      if (notice_at > now || notified_.contains(instance->instance_id)) continue;
      InterruptionEvent event;
      event.pool = pool;
      event.cause = InterruptionCause::kMaxLifetime;
      event.started_at = notice_at;
      event.notices.push_back({instance->instance_id, notice_at, deadline_at});
      events.push_back(std::move(event));
      notified_.emplace(instance->instance_id, pool);
    }
  }
}

void InterruptionModel::ForgetInstancesNoLongerRunning(const RunningInstancesByPool& running) {
  std::erase_if(notified_, [&](const auto& notified) {
    const std::string& instance_id = notified.first;
    auto found = running.find(notified.second);
    return found == running.end() ||
           std::none_of(found->second.begin(), found->second.end(),
                        [&](const RunningInstance& i) { return i.instance_id == instance_id; });
  });
}

}  // namespace gleaner
