#pragma once

#include <condition_variable>
#include <fstream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/mutex.h"
#include "common/status.h"

namespace gleaner {

class BatchExecutor;
class EventRules;

// Delivers events to the targets of the rules they match, on a thread of its own, as EventBridge
// does: at least once while gleaner runs, each target retried with exponential backoff (1 s,
// doubling, at most 60 s between tries) under its RetryPolicy (MaximumRetryAttempts, default
// 185; MaximumEventAgeInSeconds, default 86,400), then written to the dead-letter file with the
// reason. Targets: an http:// or https:// URL (POST of the target's input, application/json,
// with HttpParameters' headers and query string; a 2xx answer delivers, 429 and 5xx and
// connection failures are retried, other 4xx are not) and a Batch job queue (SubmitJob with
// BatchParameters; the input's "Parameters" and "ContainerOverrides" become the job's).
//
// Deliveries outlive a stop or a crash: each one an event's rules ask for is appended to the
// journal (and synced) before Enqueue returns, and marked there once delivered or dead-lettered;
// a start takes up the journal's open deliveries again, their age counted from their first try.
// So a target gets every event at least once -- twice when gleaner stopped between a delivery
// and its mark, as EventBridge may also deliver twice.
class EventRuleDelivery {
 public:
  // `first_backoff_millis`: the wait before the first retry (tests shorten it). `journal_path`
  // empty: no journal (deliveries end with the process).
  EventRuleDelivery(const Clock& clock, EventRules& rules, BatchExecutor& executor,
                    std::string dead_letter_path, int64_t first_backoff_millis = 1'000,
                    std::string journal_path = "");
  ~EventRuleDelivery();

  // Matches the events against the rules and queues a delivery for each target they reach (in the
  // journal first); returns without waiting for any delivery. Any thread.
  void Enqueue(const std::vector<nlohmann::json>& events);
  // Deliveries queued or waiting for a retry (tests).
  size_t Outstanding();
  // Waits until nothing is queued or waiting for a retry (tests).
  void Drain();

 private:
  struct Pending {
    std::string id;  // "<event id>/<rule>/<target id>": the journal's key
    EpochMillis due = 0;
    EpochMillis first_tried = 0;
    int tries = 0;
    std::string rule;
    nlohmann::json target;
    nlohmann::json event;
  };
  // What one try of a delivery came to.
  struct Outcome {
    bool delivered = false;
    bool retry = false;  // worth trying again
    std::string reason;
  };

  void Run() GLEANER_EXCLUDES(mutex_);
  Outcome Deliver(const Pending& pending);
  Outcome DeliverHttp(const nlohmann::json& target, const std::string& input);
  Outcome SubmitJob(const nlohmann::json& target, const std::string& input);
  void DeadLetter(const Pending& pending, const std::string& reason);
  // The journal: what it holds open is queued again; then it is rewritten with only that.
  void Recover();
  // Under mutex_: appends records to the journal and syncs it.
  void JournalLocked(const std::vector<nlohmann::json>& records) GLEANER_REQUIRES(mutex_);
  // Under mutex_, with no delivery in flight: rewrites the journal with the open ones (retries_).
  void CompactLocked() GLEANER_REQUIRES(mutex_);

  const Clock& clock_;
  EventRules& rules_;
  BatchExecutor& executor_;
  const std::string dead_letter_path_;
  const int64_t first_backoff_millis_;
  Mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable idle_;
  const std::string journal_path_;
  int journal_fd_ GLEANER_GUARDED_BY(mutex_) = -1;
  // Lines in the journal, to know when to compact it.
  size_t journal_records_ GLEANER_GUARDED_BY(mutex_) = 0;
  std::multimap<EpochMillis, Pending> retries_ GLEANER_GUARDED_BY(mutex_);
  bool busy_ GLEANER_GUARDED_BY(mutex_) = false;
  bool stopping_ GLEANER_GUARDED_BY(mutex_) = false;
  std::thread thread_;
};

}  // namespace gleaner
