#pragma once

#include <memory>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/status.h"

namespace gleaner {

struct PatternNode;

// An EventBridge event pattern, matched as AWS's event-ruler matches it: every field the pattern
// names must match (fields it does not name are ignored); a leaf is an array of values and
// operators (`prefix`, `suffix`, `equals-ignore-case`, `wildcard`, `anything-but`, `numeric`,
// `cidr`, `exists`), any of which may match; an event value that is an array matches when any of
// its elements does; nested objects mirror the event; `$or` takes two or more patterns of which
// one must match. Strings never match numbers, nor numbers strings.
class EventPattern {
 public:
  // Parses and checks a pattern. An invalid one is an InvalidArgument Status whose message says
  // what is wrong and where ("detail.state: ..."), as InvalidEventPatternException carries it.
  static Result<EventPattern> Parse(std::string_view text);
  static Result<EventPattern> FromJson(const nlohmann::json& pattern);

  bool Matches(const nlohmann::json& event) const;

 private:
  explicit EventPattern(std::shared_ptr<const PatternNode> root) : root_(std::move(root)) {}
  std::shared_ptr<const PatternNode> root_;
};

}  // namespace gleaner
