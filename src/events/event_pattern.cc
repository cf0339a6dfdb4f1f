#include "events/event_pattern.h"

#include <algorithm>
#include <string>
#include <vector>

#include "events/pattern_leaf.h"
#include "model/json_text.h"

namespace gleaner {

using nlohmann::json;

// A pattern object: fields to match (each a leaf array or a nested pattern), and `$or` groups
// of which one branch each must match.
struct PatternNode {
  struct Field {
    std::string name;
    std::vector<PatternLeaf> leaves;      // when a leaf array
    std::shared_ptr<PatternNode> nested;  // when an object
  };
  std::vector<Field> fields;
  std::vector<std::vector<PatternNode>> any_of;
};

namespace {

constexpr size_t kMaxDepth = 32;

std::string Join(const std::string& path, const std::string& name) {
  return path.empty() ? name : path + "." + name;
}

Status ParseNode(const json& pattern, const std::string& path, size_t depth, PatternNode* node) {
  if (depth > kMaxDepth) return Status::InvalidArgument(path + ": the pattern nests too deeply");
  if (!pattern.is_object()) {
    return Status::InvalidArgument((path.empty() ? "the event pattern" : path) +
                                   ": must be a JSON object");
  }
  for (const auto& [name, value] : pattern.items()) {
    std::string where = Join(path, name);
    if (name == "$or") {
      if (!value.is_array() || value.size() < 2) {
        return Status::InvalidArgument(where + ": takes an array of two or more patterns");
      }
      std::vector<PatternNode> branches(value.size());
      for (size_t i = 0; i < value.size(); ++i) {
        GLEANER_RETURN_IF_ERROR(
            ParseNode(value[i], where + "[" + std::to_string(i) + "]", depth + 1, &branches[i]));
      }
      node->any_of.push_back(std::move(branches));
      continue;
    }
    PatternNode::Field field{name, {}, nullptr};
    if (value.is_object()) {
      field.nested = std::make_shared<PatternNode>();
      GLEANER_RETURN_IF_ERROR(ParseNode(value, where, depth + 1, field.nested.get()));
    } else if (value.is_array()) {
      if (value.empty()) return Status::InvalidArgument(where + ": empty arrays are not allowed");
      for (const json& element : value) {
        Result<PatternLeaf> leaf = ParsePatternLeaf(element, where);
        if (!leaf.ok()) return leaf.status();
        field.leaves.push_back(std::move(*leaf));
      }
    } else {
      return Status::InvalidArgument(where + ": the value must be an array or an object");
    }
    node->fields.push_back(std::move(field));
  }
  if (depth == 0 && node->fields.empty() && node->any_of.empty()) {
    return Status::InvalidArgument("the event pattern is empty");
  }
  return Status::Ok();
}

bool MatchesNode(const PatternNode& node, const json& object);

// A field absent from the event (or an object where the pattern wants values) is matched only
// by {"exists": false}.
bool MatchesLeaves(const std::vector<PatternLeaf>& leaves, const json* value) {
  bool present = value != nullptr && !value->is_object() && !(value->is_array() && value->empty());
  for (const PatternLeaf& leaf : leaves) {
    if (leaf.kind == PatternLeaf::Kind::kExists) {
      if (leaf.exists == present) return true;
      continue;
    }
    if (!present) continue;
    if (value->is_array()) {
      if (std::any_of(value->begin(), value->end(),
                      [&](const json& element) { return leaf.MatchesValue(element); })) {
        return true;
      }
    } else if (leaf.MatchesValue(*value)) {
      return true;
    }
  }
  return false;
}

bool MatchesField(const PatternNode::Field& field, const json& object) {
  const json* value = nullptr;
  if (object.is_object()) {
    auto it = object.find(field.name);
    if (it != object.end()) value = &*it;
  }
  if (!field.nested) return MatchesLeaves(field.leaves, value);
  static const json kAbsent = json::object();
  if (value == nullptr || (!value->is_object() && !value->is_array())) {
    return MatchesNode(*field.nested, kAbsent);
  }
  if (value->is_array()) {
    // Objects in an array: one element must match the whole nested pattern.
    return std::any_of(value->begin(), value->end(), [&](const json& element) {
      return element.is_object() && MatchesNode(*field.nested, element);
    });
  }
  return MatchesNode(*field.nested, *value);
}

bool MatchesNode(const PatternNode& node, const json& object) {
  for (const PatternNode::Field& field : node.fields) {
    if (!MatchesField(field, object)) return false;
  }
  for (const std::vector<PatternNode>& branches : node.any_of) {
    if (std::none_of(branches.begin(), branches.end(),
                     [&](const PatternNode& branch) { return MatchesNode(branch, object); })) {
      return false;
    }
  }
  return true;
}

}  // namespace

Result<EventPattern> EventPattern::Parse(std::string_view text) {
  Result<json> parsed = ParseJsonText(text);
  if (!parsed.ok()) {
    return Status::InvalidArgument("the event pattern is not valid JSON: " +
                                   parsed.status().message());
  }
  return FromJson(*parsed);
}

Result<EventPattern> EventPattern::FromJson(const json& pattern) {
  auto root = std::make_shared<PatternNode>();
  GLEANER_RETURN_IF_ERROR(ParseNode(pattern, "", 0, root.get()));
  return EventPattern(std::move(root));
}

bool EventPattern::Matches(const json& event) const { return MatchesNode(*root_, event); }

}  // namespace gleaner
