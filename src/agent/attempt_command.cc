#include "agent/attempt_command.h"

#include <array>
#include <set>
#include <string_view>

namespace gleaner {
namespace {

constexpr std::array<std::string_view, 8> kInheritedNames = {"PATH", "HOME", "USER",   "LOGNAME",
                                                             "LANG", "TZ",   "TMPDIR", "SHELL"};

std::string_view NameOf(std::string_view variable) {
  return variable.substr(0, variable.find('='));
}

}  // namespace

std::vector<std::string> InheritedEnvironment(const std::vector<std::string>& agent_environment) {
  std::vector<std::string> inherited;
  std::set<std::string_view> seen;
  for (const std::string& variable : agent_environment) {
    std::string_view name = NameOf(variable);
    if (name.size() == variable.size()) continue;  // no '='
    bool wanted = false;
    for (std::string_view inherited_name : kInheritedNames) wanted |= name == inherited_name;
    if (wanted && seen.insert(name).second) inherited.push_back(variable);
  }
  return inherited;
}

std::vector<std::string> AttemptEnvironment(const std::vector<std::string>& inherited,
                                            const std::vector<std::string>& job_environment) {
  std::set<std::string_view> job_names;
  for (const std::string& variable : job_environment) job_names.insert(NameOf(variable));
  std::vector<std::string> environment;
  for (const std::string& variable : inherited) {
    if (!job_names.contains(NameOf(variable))) environment.push_back(variable);
  }
  environment.insert(environment.end(), job_environment.begin(), job_environment.end());
  return environment;
}

}  // namespace gleaner
