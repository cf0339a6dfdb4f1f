#include "events/target_input.h"

#include "model/json_text.h"

namespace gleaner {
namespace {

using nlohmann::json;

bool IsPath(const std::string& path) {
  if (path == "$") return true;
  if (path.size() < 3 || path.compare(0, 2, "$.") != 0) return false;
  size_t start = 2;
  while (start <= path.size()) {
    size_t dot = path.find('.', start);
    if (dot == start || start == path.size()) return false;
    if (dot == std::string::npos) return true;
    start = dot + 1;
  }
  return false;
}

// The value at a checked path, or nullptr.
const json* Select(const json& event, const std::string& path) {
  const json* value = &event;
  size_t start = 2;
  while (path != "$" && start <= path.size()) {
    size_t dot = path.find('.', start);
    std::string name = path.substr(start, dot == std::string::npos ? dot : dot - start);
    if (!value->is_object()) return nullptr;
    auto it = value->find(name);
    if (it == value->end()) return nullptr;
    value = &*it;
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return value;
}

std::string Transform(const json& transformer, const json& event) {
  std::string text = transformer.value("InputTemplate", "");
  const json paths = transformer.value("InputPathsMap", json::object());
  std::string result;
  for (size_t i = 0; i < text.size(); ++i) {
    size_t close = text[i] == '<' ? text.find('>', i) : std::string::npos;
    std::string name = close == std::string::npos ? "" : text.substr(i + 1, close - i - 1);
    if (close == std::string::npos || !paths.contains(name) || !paths[name].is_string()) {
      result += text[i];
      continue;
    }
    const json* value = Select(event, paths[name].get<std::string>());
    if (value != nullptr)
      result += value->is_string() ? value->get<std::string>() : DumpJson(*value);
    i = close;
  }
  return result;
}

}  // namespace

std::string TargetInput(const json& target, const json& event) {
  if (auto input = target.find("Input"); input != target.end() && input->is_string()) {
    return input->get<std::string>();
  }
  if (auto path = target.find("InputPath"); path != target.end() && path->is_string()) {
    const json* value = Select(event, path->get<std::string>());
    return value == nullptr ? "" : DumpJson(*value);
  }
  if (auto transformer = target.find("InputTransformer");
      transformer != target.end() && transformer->is_object()) {
    return Transform(*transformer, event);
  }
  return DumpJson(event);
}

Status CheckTargetInput(const json& target) {
  int given = 0;
  for (const char* field : {"Input", "InputPath", "InputTransformer"})
    given += target.contains(field);
  if (given > 1) {
    return Status::InvalidArgument(
        "Only one of Input, InputPath, or InputTransformer must be provided.");
  }
  if (auto input = target.find("Input"); input != target.end()) {
    if (!input->is_string() || !ParseJsonText(input->get<std::string>()).ok()) {
      return Status::InvalidArgument("Input is not valid JSON text.");
    }
  }
  if (auto path = target.find("InputPath"); path != target.end()) {
    if (!path->is_string() || !IsPath(path->get<std::string>())) {
      return Status::InvalidArgument("InputPath is not a valid JSON path such as $.detail.");
    }
  }
  if (auto transformer = target.find("InputTransformer"); transformer != target.end()) {
    if (!transformer->is_object() || !transformer->contains("InputTemplate") ||
        !(*transformer)["InputTemplate"].is_string()) {
      return Status::InvalidArgument("InputTransformer must have an InputTemplate string.");
    }
    const json paths = transformer->value("InputPathsMap", json::object());
    for (const auto& [name, path] : paths.items()) {
      if (!path.is_string() || !IsPath(path.get<std::string>())) {
        return Status::InvalidArgument("InputPathsMap's " + name +
                                       " is not a valid JSON path such as $.detail.");
      }
    }
  }
  return Status::Ok();
}

}  // namespace gleaner
