#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/mutex.h"
#include "common/status.h"
#include "events/event_pattern.h"

namespace gleaner {

// An EventBridge rule on gleaner's one event bus ("default"): what PutRule set, and its targets
// as PutTargets gave them (by Id).
struct EventRule {
  std::string name;
  std::string event_pattern;  // the pattern's text as given
  std::string description;
  std::string role_arn;
  std::string state = "ENABLED";  // or DISABLED
  nlohmann::json tags = nlohmann::json::array();
  std::map<std::string, nlohmann::json> targets;
};

// A target an event is to be delivered to, for a rule it matched.
struct EventDelivery {
  std::string rule;
  nlohmann::json target;
};

// The rules, kept durable in one JSON file (rewritten atomically, and fsynced, on every change
// before the change is acknowledged; rules change rarely). Safe to use from any thread.
class EventRules {
 public:
  // Reads the rules from `path` when it exists; an empty path keeps them in memory only.
  static Result<std::unique_ptr<EventRules>> Open(std::string path);

  // Creates the rule or replaces what PutRule sets of it (its targets stay). The pattern must
  // parse (EventPattern::Parse).
  Status Put(EventRule rule);
  std::optional<EventRule> Get(const std::string& name) const;
  // By name, those that begin with `prefix`.
  std::vector<EventRule> List(const std::string& prefix) const;
  // NotFound when there is no such rule; FailedPrecondition when it still has targets.
  Status Delete(const std::string& name);
  Status SetState(const std::string& name, const std::string& state);
  // Adds or replaces targets by their "Id". NotFound when there is no such rule.
  Status PutTargets(const std::string& name, const std::vector<nlohmann::json>& targets);
  Status RemoveTargets(const std::string& name, const std::vector<std::string>& ids);

  // Every target of every ENABLED rule whose pattern matches the event.
  std::vector<EventDelivery> Match(const nlohmann::json& event) const;

 private:
  explicit EventRules(std::string path) : path_(std::move(path)) {}
  Status SaveLocked() const GLEANER_REQUIRES(mutex_);

  const std::string path_;
  mutable Mutex mutex_;
  std::map<std::string, EventRule> rules_ GLEANER_GUARDED_BY(mutex_);
  // compiled, by rule name
  std::map<std::string, EventPattern> patterns_ GLEANER_GUARDED_BY(mutex_);
};

}  // namespace gleaner
