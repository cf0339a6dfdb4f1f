#include "agent/attempt_table.h"

#include <csignal>

namespace gleaner {

AttemptReport ReportFor(const HeldAttempt& attempt) {
  AttemptReport report;
  report.key = attempt.record.key;
  if (!attempt.launch_failure.empty()) {
    report.state = AttemptState::kLaunchFailed;
    report.reason = attempt.launch_failure;
  } else if (attempt.outcome.has_value() && attempt.LogShipped()) {
    report.state = AttemptState::kExited;
    report.exit_code = attempt.outcome->exit_code;
    report.signal = attempt.outcome->term_signal;
    report.reason = attempt.exit_reason;
  } else if (attempt.launching) {
    report.state = AttemptState::kStarting;
    report.reason = attempt.progress;
  } else {
    report.state = AttemptState::kRunning;
    report.pid = attempt.record.pid;
    report.start_ticks = attempt.record.start_ticks;
  }
  return report;
}

CommandOutcome KilledBySigkill() {
  CommandOutcome outcome;
  outcome.term_signal = SIGKILL;
  outcome.exit_code = 128 + SIGKILL;
  return outcome;
}

std::optional<CommandOutcome> RecoveredOutcome(const std::optional<CommandOutcome>& exit_file,
                                               bool process_alive) {
  if (exit_file.has_value()) return exit_file;
  if (process_alive) return std::nullopt;
  return KilledBySigkill();
}

HeldAttempt* AttemptTable::Find(const AttemptKey& key) {
  auto found = attempts_.find(key);
  return found == attempts_.end() ? nullptr : &found->second;
}

HeldAttempt* AttemptTable::FindRunning(pid_t pid) {
  for (auto& [key, attempt] : attempts_) {
    if (attempt.Running() && attempt.record.pid == pid) return &attempt;
  }
  return nullptr;
}

void AttemptTable::Add(HeldAttempt attempt) {
  AttemptKey key = attempt.record.key;
  attempts_.insert_or_assign(std::move(key), std::move(attempt));
}

bool AttemptTable::End(const AttemptKey& key, CommandOutcome outcome, int64_t final_log_size) {
  HeldAttempt* attempt = Find(key);
  if (attempt == nullptr || attempt->Ended()) return false;
  attempt->outcome = std::move(outcome);
  attempt->final_log_size = final_log_size;
  return true;
}

std::vector<AttemptKey> AttemptTable::Keys() const {
  std::vector<AttemptKey> keys;
  for (const auto& [key, attempt] : attempts_) keys.push_back(key);
  return keys;
}

AgentReport AttemptTable::BuildReport(const std::string& instance_id) const {
  AgentReport report{.instance_id = instance_id, .attempts = {}};
  for (const auto& [key, attempt] : attempts_) report.attempts.push_back(ReportFor(attempt));
  return report;
}

std::vector<std::pair<AttemptKey, AttemptState>> AttemptTable::ReportedStates() const {
  std::vector<std::pair<AttemptKey, AttemptState>> states;
  for (const auto& [key, attempt] : attempts_) states.emplace_back(key, ReportFor(attempt).state);
  return states;
}

std::vector<AttemptKey> AttemptTable::Acknowledge(const std::vector<AttemptKey>& acknowledged) {
  std::vector<AttemptKey> forgotten;
  for (const AttemptKey& key : acknowledged) {
    auto found = attempts_.find(key);
    if (found == attempts_.end()) continue;
    AttemptState state = ReportFor(found->second).state;
    if (state == AttemptState::kRunning || state == AttemptState::kStarting) continue;
    attempts_.erase(found);
    forgotten.push_back(key);
  }
  return forgotten;
}

}  // namespace gleaner
