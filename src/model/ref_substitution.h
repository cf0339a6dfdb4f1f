#pragma once

#include <map>
#include <string>
#include <vector>

namespace gleaner {

// Replaces every "Ref::name" in each argument with parameters[name] (name: letters, digits, '_'
// and '-', longest match). A placeholder without a parameter stays as written.
std::vector<std::string> SubstituteParameters(const std::vector<std::string>& command,
                                              const std::map<std::string, std::string>& parameters);

}  // namespace gleaner
