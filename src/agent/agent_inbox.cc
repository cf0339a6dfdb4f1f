#include "agent/agent_inbox.h"
#include "common/steady_time.h"

#include <algorithm>
#include <utility>

namespace gleaner {

void AgentInbox::AddWork(AgentWork work) {
  MutexLock lock(mutex_);
  for (AttemptAssignment& assignment : work.assignments) {
    pending_.assignments.push_back(std::move(assignment));
  }
  for (AttemptSignal& signal : work.signals) pending_.signals.push_back(std::move(signal));
  changed_.notify_all();
}

void AgentInbox::AddExit(const ProcessExit& exit) {
  MutexLock lock(mutex_);
  pending_.exits.push_back(exit);
  changed_.notify_all();
}

void AgentInbox::AddLaunched(AttemptLaunched launched) {
  MutexLock lock(mutex_);
  pending_.launches.push_back(std::move(launched));
  changed_.notify_all();
}

void AgentInbox::AddProgress(AttemptProgress progress) {
  MutexLock lock(mutex_);
  pending_.progress.push_back(std::move(progress));
  changed_.notify_all();
}

void AgentInbox::RequestRegistration(uint64_t generation) {
  MutexLock lock(mutex_);
  pending_.refused_generation = std::max(pending_.refused_generation, generation);
  changed_.notify_all();
}

void AgentInbox::Stop() {
  MutexLock lock(mutex_);
  pending_.stopping = true;
  changed_.notify_all();
}

bool AgentInbox::stopping() const {
  MutexLock lock(mutex_);
  return pending_.stopping;
}

AgentInbox::Batch AgentInbox::Take(SteadyTime deadline) {
  MutexLock lock(mutex_);
  changed_.wait_until(lock.native(), deadline, [this]() GLEANER_REQUIRES(mutex_) {
    return pending_.stopping || pending_.refused_generation != 0 || !pending_.assignments.empty() ||
           !pending_.signals.empty() || !pending_.exits.empty() || !pending_.launches.empty() ||
           !pending_.progress.empty();
  });
  Batch batch = std::move(pending_);
  pending_ = Batch{};
  pending_.stopping = batch.stopping;  // the stop stays
  return batch;
}

bool AgentInbox::SleepUntil(SteadyTime deadline) {
  MutexLock lock(mutex_);
  return !changed_.wait_until(lock.native(), deadline,
                              [this]() GLEANER_REQUIRES(mutex_) { return pending_.stopping; });
}

void AgentInbox::SetSession(AgentSession session) {
  MutexLock lock(mutex_);
  session_ = std::move(session);
  changed_.notify_all();
}

std::optional<AgentSession> AgentInbox::WaitForSessionAfter(uint64_t generation) {
  MutexLock lock(mutex_);
  changed_.wait(lock.native(), [&]() GLEANER_REQUIRES(mutex_) {
    return pending_.stopping || session_.generation > generation;
  });
  if (pending_.stopping) return std::nullopt;
  return session_;
}

}  // namespace gleaner
