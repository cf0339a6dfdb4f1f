#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"

namespace gleaner {

// One element of a pattern's leaf array: a value to equal, or an operator.
struct PatternLeaf {
  enum class Kind {
    kEquals,            // a string, number, true, false or null
    kPrefix,            // {"prefix": s}
    kSuffix,            // {"suffix": s}
    kEqualsIgnoreCase,  // {"equals-ignore-case": s}
    kWildcard,          // {"wildcard": "a*b"}, `\*` a literal star
    kAnythingBut,       // {"anything-but": ...}: `excluded` holds what must not match
    kNumeric,           // {"numeric": [">", 0, "<=", 5]}
    kCidr,              // {"cidr": "10.0.0.0/24"} or an IPv6 prefix
    kExists,            // {"exists": true|false}
  };
  Kind kind = Kind::kEquals;
  nlohmann::json value;               // kEquals: the value; the string operators: the string
  std::vector<PatternLeaf> excluded;  // kAnythingBut
  double lower = 0, upper = 0;        // kNumeric
  bool has_lower = false, has_upper = false, lower_inclusive = false, upper_inclusive = false;
  std::array<uint8_t, 16> network{};  // kCidr: the address, IPv4 in its first 4 bytes
  int prefix_bits = 0;
  bool ipv6 = false;
  bool exists = false;  // kExists

  // Whether a present scalar (string, number, boolean or null) matches. kExists is decided by
  // the caller, who knows whether the field is there.
  bool MatchesValue(const nlohmann::json& value) const;
};

// Parses one element of a leaf array; `where` names the field for messages.
Result<PatternLeaf> ParsePatternLeaf(const nlohmann::json& element, const std::string& where);

}  // namespace gleaner
