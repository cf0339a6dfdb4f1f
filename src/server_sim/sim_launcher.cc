#include "server_sim/sim_launcher.h"

#include <string_view>

namespace gleaner::sim {
namespace {

// The value of NAME in a launch's environment ("NAME=value").
std::string VariableOf(const LaunchSpec& spec, std::string_view name) {
  for (const std::string& variable : spec.environment) {
    if (variable.size() > name.size() && variable.compare(0, name.size(), name) == 0 &&
        variable[name.size()] == '=') {
      return variable.substr(name.size() + 1);
    }
  }
  return "";
}

}  // namespace

Result<LaunchedProcess> SimLauncher::Launch(const LaunchSpec& spec) {
  std::string job_id = VariableOf(spec, "AWS_BATCH_JOB_ID");
  std::string attempt_text = VariableOf(spec, "AWS_BATCH_JOB_ATTEMPT");
  int attempt = attempt_text.empty() ? 0 : std::stoi(attempt_text);
  if (std::optional<int64_t> earlier = processes_.PidOf(job_id); earlier && !violation_) {
    violation_ = "job " + job_id + " attempt " + attempt_text + " was launched while the process " +
                 std::to_string(*earlier) + " of its attempt " +
                 std::to_string(processes_.running().at(*earlier).attempt) + " still runs";
  }
  SimProcesses::Started started = processes_.Start(job_id, attempt);
  if (started.pid == 0) return Status::Internal(started.failure);
  launched_.insert({job_id, attempt});
  return LaunchedProcess{static_cast<pid_t>(started.pid), /*start_ticks=*/1};
}

}  // namespace gleaner::sim
