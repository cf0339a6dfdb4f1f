#include "events/event_rules.h"

#include <fstream>
#include <sstream>

#include "common/atomic_file.h"
#include "model/json_text.h"

namespace gleaner {
namespace {

using nlohmann::json;

json ToJson(const EventRule& rule) {
  json targets = json::array();
  for (const auto& [id, target] : rule.targets) targets.push_back(target);
  return {{"name", rule.name},        {"eventPattern", rule.event_pattern},
          {"state", rule.state},      {"description", rule.description},
          {"roleArn", rule.role_arn}, {"tags", rule.tags},
          {"targets", targets}};
}

Result<EventRule> FromJson(const json& record) {
  if (!record.is_object()) return Status::InvalidArgument("a rule record is not an object");
  EventRule rule;
  rule.name = record.value("name", "");
  rule.event_pattern = record.value("eventPattern", "");
  rule.state = record.value("state", "ENABLED");
  rule.description = record.value("description", "");
  rule.role_arn = record.value("roleArn", "");
  rule.tags = record.value("tags", json::array());
  for (const json& target : record.value("targets", json::array())) {
    if (!target.is_object() || !target.contains("Id") || !target["Id"].is_string()) {
      return Status::InvalidArgument("rule " + rule.name + " has a target without an Id");
    }
    rule.targets[target["Id"].get<std::string>()] = target;
  }
  if (rule.name.empty()) return Status::InvalidArgument("a rule record has no name");
  return rule;
}

}  // namespace

Result<std::unique_ptr<EventRules>> EventRules::Open(std::string path) {
  std::unique_ptr<EventRules> rules(new EventRules(path));
  if (path.empty()) return rules;
  std::ifstream file(path);
  if (!file) return rules;  // no rules yet
  std::stringstream text;
  text << file.rdbuf();
  Result<json> parsed = ParseJsonText(text.str());
  if (!parsed.ok() || !parsed->is_object() || !parsed->contains("rules") ||
      !(*parsed)["rules"].is_array()) {
    return Status::Internal(path + " is not a file of event rules");
  }
  MutexLock lock(rules->mutex_);  // uncontended: no other thread has the rules yet
  for (const json& record : (*parsed)["rules"]) {
    Result<EventRule> rule = FromJson(record);
    if (!rule.ok()) return Status::Internal(path + ": " + rule.status().message());
    Result<EventPattern> pattern = EventPattern::Parse(rule->event_pattern);
    if (!pattern.ok()) return Status::Internal(path + ": " + pattern.status().message());
    rules->patterns_.insert_or_assign(rule->name, std::move(*pattern));
    rules->rules_[rule->name] = std::move(*rule);
  }
  return rules;
}

Status EventRules::SaveLocked() const {
  if (path_.empty()) return Status::Ok();
  json records = json::array();
  for (const auto& [name, rule] : rules_) records.push_back(ToJson(rule));
  return WriteFileAtomically(path_, DumpJson(json{{"rules", records}}), /*durable=*/true);
}

Status EventRules::Put(EventRule rule) {
  Result<EventPattern> pattern = EventPattern::Parse(rule.event_pattern);
  if (!pattern.ok()) return pattern.status();
  MutexLock lock(mutex_);
  auto previous = rules_.find(rule.name);
  std::optional<EventRule> before;
  if (previous != rules_.end()) {
    before = previous->second;
    rule.targets = previous->second.targets;
  }
  std::string name = rule.name;
  rules_[name] = std::move(rule);
  if (Status saved = SaveLocked(); !saved.ok()) {
    if (before) {
      rules_[name] = std::move(*before);
    } else {
      rules_.erase(name);
    }
    return saved;
  }
  patterns_.insert_or_assign(name, std::move(*pattern));
  return Status::Ok();
}

std::optional<EventRule> EventRules::Get(const std::string& name) const {
  MutexLock lock(mutex_);
  auto it = rules_.find(name);
  if (it == rules_.end()) return std::nullopt;
  return it->second;
}

std::vector<EventRule> EventRules::List(const std::string& prefix) const {
  MutexLock lock(mutex_);
  std::vector<EventRule> found;
  for (auto it = rules_.lower_bound(prefix); it != rules_.end(); ++it) {
    if (it->first.compare(0, prefix.size(), prefix) != 0) break;
    found.push_back(it->second);
  }
  return found;
}

Status EventRules::Delete(const std::string& name) {
  MutexLock lock(mutex_);
  auto it = rules_.find(name);
  if (it == rules_.end()) return Status::NotFound("Rule " + name + " does not exist.");
  if (!it->second.targets.empty()) {
    return Status::FailedPrecondition("Rule can't be deleted since it has targets.");
  }
  EventRule removed = std::move(it->second);
  rules_.erase(it);
  if (Status saved = SaveLocked(); !saved.ok()) {
    rules_[name] = std::move(removed);
    return saved;
  }
  patterns_.erase(name);
  return Status::Ok();
}

Status EventRules::SetState(const std::string& name, const std::string& state) {
  MutexLock lock(mutex_);
  auto it = rules_.find(name);
  if (it == rules_.end()) return Status::NotFound("Rule " + name + " does not exist.");
  std::string before = it->second.state;
  it->second.state = state;
  if (Status saved = SaveLocked(); !saved.ok()) {
    it->second.state = before;
    return saved;
  }
  return Status::Ok();
}

Status EventRules::PutTargets(const std::string& name, const std::vector<json>& targets) {
  MutexLock lock(mutex_);
  auto it = rules_.find(name);
  if (it == rules_.end()) return Status::NotFound("Rule " + name + " does not exist.");
  auto before = it->second.targets;
  for (const json& target : targets)
    it->second.targets[target.at("Id").get<std::string>()] = target;
  if (Status saved = SaveLocked(); !saved.ok()) {
    it->second.targets = std::move(before);
    return saved;
  }
  return Status::Ok();
}

Status EventRules::RemoveTargets(const std::string& name, const std::vector<std::string>& ids) {
  MutexLock lock(mutex_);
  auto it = rules_.find(name);
  if (it == rules_.end()) return Status::NotFound("Rule " + name + " does not exist.");
  auto before = it->second.targets;
  for (const std::string& id : ids) it->second.targets.erase(id);
  if (Status saved = SaveLocked(); !saved.ok()) {
    it->second.targets = std::move(before);
    return saved;
  }
  return Status::Ok();
}

std::vector<EventDelivery> EventRules::Match(const json& event) const {
  MutexLock lock(mutex_);
  std::vector<EventDelivery> deliveries;
  for (const auto& [name, rule] : rules_) {
    if (rule.state != "ENABLED" || rule.targets.empty()) continue;
    auto pattern = patterns_.find(name);
    if (pattern == patterns_.end() || !pattern->second.Matches(event)) continue;
    for (const auto& [id, target] : rule.targets) deliveries.push_back({name, target});
  }
  return deliveries;
}

}  // namespace gleaner
