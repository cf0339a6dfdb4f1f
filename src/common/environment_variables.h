#pragma once

#include <string>
#include <vector>

namespace gleaner {

// Whether `environment` ("NAME=value" entries) sets `name`.
inline bool SetsVariable(const std::vector<std::string>& environment, const std::string& name) {
  for (const std::string& variable : environment) {
    if (variable.size() > name.size() && variable[name.size()] == '=' &&
        variable.compare(0, name.size(), name) == 0) {
      return true;
    }
  }
  return false;
}

// Adds NAME=value unless `environment` sets NAME already (what a job says wins).
inline void AddVariableUnlessSet(std::vector<std::string>& environment, const std::string& name,
                                 const std::string& value) {
  if (!SetsVariable(environment, name)) environment.push_back(name + "=" + value);
}

}  // namespace gleaner
