#include "model/ref_substitution.h"

#include <string_view>

namespace gleaner {
namespace {

constexpr std::string_view kRefPrefix = "Ref::";

bool IsParameterNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

std::string SubstituteInArgument(std::string_view argument,
                                 const std::map<std::string, std::string>& parameters) {
  std::string result;
  size_t copied_up_to = 0;
  for (size_t ref = argument.find(kRefPrefix); ref != std::string_view::npos;
       ref = argument.find(kRefPrefix, copied_up_to)) {
    size_t name_end = ref + kRefPrefix.size();
    while (name_end < argument.size() && IsParameterNameChar(argument[name_end])) ++name_end;
    std::string name(argument.substr(ref + kRefPrefix.size(), name_end - ref - kRefPrefix.size()));
    result.append(argument.substr(copied_up_to, ref - copied_up_to));
    auto parameter = parameters.find(name);
    if (!name.empty() && parameter != parameters.end()) {
      result.append(parameter->second);  // not rescanned: a value may itself contain "Ref::"
    } else {
      result.append(argument.substr(ref, name_end - ref));
    }
    copied_up_to = name_end;
  }
  result.append(argument.substr(copied_up_to));
  return result;
}

}  // namespace

std::vector<std::string> SubstituteParameters(
    const std::vector<std::string>& command, const std::map<std::string, std::string>& parameters) {
  std::vector<std::string> substituted;
  substituted.reserve(command.size());
  for (const std::string& argument : command) {
    substituted.push_back(SubstituteInArgument(argument, parameters));
  }
  return substituted;
}

}  // namespace gleaner
