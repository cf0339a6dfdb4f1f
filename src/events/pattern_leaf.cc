#include "events/pattern_leaf.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <string_view>

namespace gleaner {
namespace {

using nlohmann::json;

Status Invalid(const std::string& where, const std::string& what) {
  return Status::InvalidArgument(where + ": " + what);
}

bool IsScalar(const json& value) {
  return value.is_string() || value.is_number() || value.is_boolean() || value.is_null();
}

std::string Lower(std::string_view text) {
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return lower;
}

// The wildcard's parts between its unescaped stars, unescaped; `starts`/`ends` tell whether it
// begins or ends with a star.
struct WildcardParts {
  std::vector<std::string> literals;
  bool starts = false, ends = false;
};

Result<WildcardParts> SplitWildcard(std::string_view pattern, const std::string& where) {
  WildcardParts parts;
  std::string literal;
  bool after_star = false;
  for (size_t i = 0; i < pattern.size(); ++i) {
    char c = pattern[i];
    if (c == '\\') {
      if (i + 1 == pattern.size() || (pattern[i + 1] != '*' && pattern[i + 1] != '\\')) {
        return Invalid(where, "invalid escape in wildcard pattern \"" + std::string(pattern) +
                                  "\": only \\* and \\\\ may be escaped");
      }
      literal += pattern[++i];
      after_star = false;
    } else if (c == '*') {
      if (after_star) {
        return Invalid(where,
                       "consecutive wildcard characters in \"" + std::string(pattern) + "\"");
      }
      if (i == 0) parts.starts = true;
      parts.literals.push_back(std::move(literal));
      literal.clear();
      after_star = true;
    } else {
      literal += c;
      after_star = false;
    }
  }
  parts.ends = after_star;
  parts.literals.push_back(std::move(literal));
  return parts;
}

bool MatchesWildcard(std::string_view pattern, std::string_view value) {
  Result<WildcardParts> split = SplitWildcard(pattern, "");
  if (!split.ok()) return false;
  const std::vector<std::string>& literals = split->literals;
  if (literals.size() == 1) return value == literals[0];
  // The first literal anchors the start, the last the end; the ones between are found in order.
  const std::string& first = literals.front();
  const std::string& last = literals.back();
  if (value.size() < first.size() + last.size()) return false;
  if (value.substr(0, first.size()) != first) return false;
  if (value.substr(value.size() - last.size()) != last) return false;
  size_t position = first.size();
  size_t end = value.size() - last.size();
  for (size_t i = 1; i + 1 < literals.size(); ++i) {
    size_t found = value.substr(0, end).find(literals[i], position);
    if (found == std::string_view::npos) return false;
    position = found + literals[i].size();
  }
  return true;
}

// An address's bytes (IPv4 in the first four); false when `text` is neither kind.
bool ParseAddress(const std::string& text, std::array<uint8_t, 16>* bytes, bool* ipv6) {
  bytes->fill(0);
  if (inet_pton(AF_INET, text.c_str(), bytes->data()) == 1) {
    *ipv6 = false;
    return true;
  }
  if (inet_pton(AF_INET6, text.c_str(), bytes->data()) == 1) {
    *ipv6 = true;
    return true;
  }
  return false;
}

Result<PatternLeaf> ParseCidr(const json& operand, const std::string& where) {
  if (!operand.is_string()) return Invalid(where, "cidr takes a string such as \"10.0.0.0/24\"");
  const std::string text = operand.get<std::string>();
  size_t slash = text.find('/');
  PatternLeaf leaf;
  leaf.kind = PatternLeaf::Kind::kCidr;
  std::string bits = slash == std::string::npos ? "" : text.substr(slash + 1);
  if (slash == std::string::npos || bits.empty() || bits.size() > 3 ||
      !std::all_of(bits.begin(), bits.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
      !ParseAddress(text.substr(0, slash), &leaf.network, &leaf.ipv6)) {
    return Invalid(where, "\"" + text + "\" is not a CIDR block (address/prefix length)");
  }
  leaf.prefix_bits = std::stoi(bits);
  if (leaf.prefix_bits > (leaf.ipv6 ? 128 : 32)) {
    return Invalid(where, "the prefix length of \"" + text + "\" is too long");
  }
  return leaf;
}

bool InNetwork(const PatternLeaf& leaf, const std::string& address) {
  std::array<uint8_t, 16> bytes{};
  bool ipv6 = false;
  if (!ParseAddress(address, &bytes, &ipv6) || ipv6 != leaf.ipv6) return false;
  for (int bit = 0; bit < leaf.prefix_bits; ++bit) {
    uint8_t mask = static_cast<uint8_t>(0x80 >> (bit % 8));
    if ((bytes[bit / 8] & mask) != (leaf.network[bit / 8] & mask)) return false;
  }
  return true;
}

Result<PatternLeaf> ParseNumeric(const json& operand, const std::string& where) {
  const std::string usage =
      "numeric takes [\"<op>\", number] or [\">\" or \">=\", number, \"<\" or \"<=\", number]";
  if (!operand.is_array() || (operand.size() != 2 && operand.size() != 4)) {
    return Invalid(where, usage);
  }
  PatternLeaf leaf;
  leaf.kind = PatternLeaf::Kind::kNumeric;
  for (size_t i = 0; i < operand.size(); i += 2) {
    if (!operand[i].is_string() || !operand[i + 1].is_number()) return Invalid(where, usage);
    std::string op = operand[i].get<std::string>();
    double number = operand[i + 1].get<double>();
    if (op == "=" && operand.size() == 2) {
      leaf.has_lower = leaf.has_upper = leaf.lower_inclusive = leaf.upper_inclusive = true;
      leaf.lower = leaf.upper = number;
    } else if ((op == ">" || op == ">=") && !leaf.has_lower && i == 0) {
      leaf.has_lower = true;
      leaf.lower_inclusive = op == ">=";
      leaf.lower = number;
    } else if ((op == "<" || op == "<=") && !leaf.has_upper) {
      leaf.has_upper = true;
      leaf.upper_inclusive = op == "<=";
      leaf.upper = number;
    } else {
      return Invalid(where, "numeric: \"" + op + "\" is not allowed here; " + usage);
    }
  }
  if (leaf.has_lower && leaf.has_upper && leaf.lower > leaf.upper) {
    return Invalid(where, "numeric: the lower bound is above the upper bound");
  }
  return leaf;
}

Result<PatternLeaf> ParseStringOperator(PatternLeaf::Kind kind, const std::string& name,
                                        const json& operand, const std::string& where) {
  if (!operand.is_string()) return Invalid(where, name + " takes a string");
  if (kind == PatternLeaf::Kind::kWildcard) {
    Result<WildcardParts> parts = SplitWildcard(operand.get_ref<const std::string&>(), where);
    if (!parts.ok()) return parts.status();
  }
  PatternLeaf leaf;
  leaf.kind = kind;
  leaf.value = operand;
  return leaf;
}

Result<PatternLeaf::Kind> StringOperatorKind(const std::string& name) {
  if (name == "prefix") return PatternLeaf::Kind::kPrefix;
  if (name == "suffix") return PatternLeaf::Kind::kSuffix;
  if (name == "equals-ignore-case") return PatternLeaf::Kind::kEqualsIgnoreCase;
  if (name == "wildcard") return PatternLeaf::Kind::kWildcard;
  return Status::NotFound(name);
}

Result<PatternLeaf> ParseAnythingBut(const json& operand, const std::string& where) {
  PatternLeaf leaf;
  leaf.kind = PatternLeaf::Kind::kAnythingBut;
  auto exclude_value = [&](const json& value) -> Status {
    if (!value.is_string() && !value.is_number()) {
      return Invalid(where, "anything-but takes strings or numbers");
    }
    PatternLeaf excluded;
    excluded.value = value;
    leaf.excluded.push_back(std::move(excluded));
    return Status::Ok();
  };
  if (operand.is_array()) {
    if (operand.empty()) return Invalid(where, "anything-but takes a non-empty array");
    bool strings = operand.front().is_string();
    for (const json& value : operand) {
      if (value.is_string() != strings) {
        return Invalid(where, "anything-but's array must be all strings or all numbers");
      }
      GLEANER_RETURN_IF_ERROR(exclude_value(value));
    }
    return leaf;
  }
  if (operand.is_object()) {
    Result<PatternLeaf::Kind> kind =
        operand.size() == 1 ? StringOperatorKind(operand.begin().key()) : Status::NotFound("");
    if (!kind.ok()) {
      return Invalid(where,
                     "anything-but's object takes one of prefix, suffix, "
                     "equals-ignore-case or wildcard");
    }
    const json& inner = operand.begin().value();
    std::vector<json> strings =
        inner.is_array() ? inner.get<std::vector<json>>() : std::vector<json>{inner};
    if (strings.empty()) return Invalid(where, "anything-but takes a non-empty array");
    for (const json& text : strings) {
      Result<PatternLeaf> excluded =
          ParseStringOperator(*kind, operand.begin().key(), text, where + ": anything-but");
      if (!excluded.ok()) return excluded.status();
      leaf.excluded.push_back(std::move(*excluded));
    }
    return leaf;
  }
  GLEANER_RETURN_IF_ERROR(exclude_value(operand));
  return leaf;
}

}  // namespace

Result<PatternLeaf> ParsePatternLeaf(const json& element, const std::string& where) {
  if (IsScalar(element)) {
    PatternLeaf leaf;
    leaf.value = element;
    return leaf;
  }
  if (!element.is_object() || element.size() != 1) {
    return Invalid(where,
                   "a match value must be a string, a number, true, false, null or an "
                   "object with one operator");
  }
  const std::string& name = element.begin().key();
  const json& operand = element.begin().value();
  if (Result<PatternLeaf::Kind> kind = StringOperatorKind(name); kind.ok()) {
    return ParseStringOperator(*kind, name, operand, where);
  }
  if (name == "anything-but") return ParseAnythingBut(operand, where);
  if (name == "numeric") return ParseNumeric(operand, where);
  if (name == "cidr") return ParseCidr(operand, where);
  if (name == "exists") {
    if (!operand.is_boolean()) return Invalid(where, "exists takes true or false");
    PatternLeaf leaf;
    leaf.kind = PatternLeaf::Kind::kExists;
    leaf.exists = operand.get<bool>();
    return leaf;
  }
  return Invalid(where, "unrecognized match type \"" + name + "\"");
}

bool PatternLeaf::MatchesValue(const json& event_value) const {
  switch (kind) {
    case Kind::kEquals:
      if (value.is_number() && event_value.is_number()) {
        return value.get<double>() == event_value.get<double>();
      }
      return value == event_value;
    case Kind::kPrefix:
    case Kind::kSuffix:
    case Kind::kEqualsIgnoreCase:
    case Kind::kWildcard: {
      if (!event_value.is_string()) return false;
      const std::string& text = event_value.get_ref<const std::string&>();
      const std::string& operand = value.get_ref<const std::string&>();
      if (kind == Kind::kPrefix) return text.rfind(operand, 0) == 0;
      if (kind == Kind::kSuffix) {
        return text.size() >= operand.size() &&
               text.compare(text.size() - operand.size(), operand.size(), operand) == 0;
      }
      if (kind == Kind::kEqualsIgnoreCase) return Lower(text) == Lower(operand);
      return MatchesWildcard(operand, text);
    }
    case Kind::kAnythingBut:
      return std::none_of(excluded.begin(), excluded.end(),
                          [&](const PatternLeaf& leaf) { return leaf.MatchesValue(event_value); });
    case Kind::kNumeric: {
      if (!event_value.is_number()) return false;
      double number = event_value.get<double>();
      if (has_lower && (lower_inclusive ? number < lower : number <= lower)) return false;
      if (has_upper && (upper_inclusive ? number > upper : number >= upper)) return false;
      return true;
    }
    case Kind::kCidr:
      return event_value.is_string() && InNetwork(*this, event_value.get<std::string>());
    case Kind::kExists:
      return false;
  }
  return false;
}

}  // namespace gleaner
