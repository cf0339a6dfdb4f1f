#pragma once

#include <condition_variable>
#include <deque>
#include <fstream>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/clock.h"
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
// Events not yet delivered when gleaner stops are not delivered after it restarts.
class EventRuleDelivery {
 public:
  // `first_backoff_millis`: the wait before the first retry (tests shorten it).
  EventRuleDelivery(const Clock& clock, EventRules& rules, BatchExecutor& executor,
                    std::string dead_letter_path, int64_t first_backoff_millis = 1'000);
  ~EventRuleDelivery();

  // Queues the events for matching and delivery; returns at once. Any thread.
  void Enqueue(const std::vector<nlohmann::json>& events);
  // Waits until nothing is queued or waiting for a retry (tests).
  void Drain();

 private:
  struct Pending {
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

  void Run();
  Outcome Deliver(const Pending& pending);
  Outcome DeliverHttp(const nlohmann::json& target, const std::string& input);
  Outcome SubmitJob(const nlohmann::json& target, const std::string& input);
  void DeadLetter(const Pending& pending, const std::string& reason);

  const Clock& clock_;
  EventRules& rules_;
  BatchExecutor& executor_;
  const std::string dead_letter_path_;
  const int64_t first_backoff_millis_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable idle_;
  std::deque<nlohmann::json> events_;
  std::multimap<EpochMillis, Pending> retries_;
  bool busy_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace gleaner
