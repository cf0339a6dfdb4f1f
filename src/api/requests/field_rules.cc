#include "api/requests/field_rules.h"

#include <cctype>

#include "model/preemption.h"

namespace gleaner::fields {
namespace {

constexpr size_t kMaxNameLength = 128;
constexpr size_t kMaxShareIdentifierLength = 255;
constexpr size_t kMaxTags = 50;
constexpr size_t kMaxTagKeyLength = 128;
constexpr size_t kMaxTagValueLength = 256;
// AWS documents maxResults as 1-100 for the Describe calls and ListSchedulingPolicies and 1-1000
// for ListJobs. gleaner accepts up to 1000 everywhere: a larger page is harmless, and it never
// refuses what AWS accepts.
constexpr int kMaxPageSize = 1000;

bool IsAsciiAlnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

bool IsNameCharacter(char c) { return IsAsciiAlnum(c) || c == '-' || c == '_'; }

bool IsValidName(std::string_view name) {
  if (name.empty() || name.size() > kMaxNameLength) return false;
  for (char c : name) {
    if (!IsNameCharacter(c)) return false;
  }
  return true;
}

bool StartsWithIgnoringCase(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(text[i])) != prefix[i]) return false;
  }
  return true;
}

std::string JoinAllowed(std::initializer_list<std::string_view> allowed) {
  std::string joined;
  for (std::string_view value : allowed) {
    if (!joined.empty()) joined += ", ";
    joined += value;
  }
  return joined;
}

}  // namespace

Status CheckResourceName(std::string_view path, const std::string& name) {
  if (IsValidName(name)) return Status::Ok();
  return Invalid(path, name,
                 "must be 1-128 characters and contain only letters, digits, hyphens and "
                 "underscores");
}

Status CheckJobName(std::string_view path, const std::string& name) {
  if (IsValidName(name) && IsAsciiAlnum(name.front())) return Status::Ok();
  return Invalid(path, name,
                 "must be 1-128 characters, start with a letter or digit, and contain only "
                 "letters, digits, hyphens and underscores");
}

Status CheckEnum(std::string_view path, const std::string& value,
                 std::initializer_list<std::string_view> allowed) {
  for (std::string_view candidate : allowed) {
    if (value == candidate) return Status::Ok();
  }
  return Invalid(path, value, "must be one of " + JoinAllowed(allowed));
}

Status ReadResourceState(const ObjectFields& fields, std::optional<ResourceState>* out) {
  std::optional<std::string> text;
  GLEANER_RETURN_IF_ERROR(fields.Optional("state", &text));
  if (!text) return Status::Ok();
  GLEANER_RETURN_IF_ERROR(CheckEnum(fields.PathOf("state"), *text, {"ENABLED", "DISABLED"}));
  *out = ParseResourceState(*text);
  return Status::Ok();
}

Status CheckShareIdentifier(std::string_view path, const std::string& identifier) {
  std::string_view stem = identifier;
  if (stem.ends_with('*')) stem.remove_suffix(1);
  bool valid = !stem.empty() && stem.size() <= kMaxShareIdentifierLength;
  for (char c : stem) valid = valid && IsAsciiAlnum(c);
  if (valid) return Status::Ok();
  return Invalid(path, identifier,
                 "must be 1-255 letters and digits, optionally followed by a single '*'");
}

Status ReadIdentifier(const ObjectFields& fields, std::string_view member, std::string* out) {
  GLEANER_RETURN_IF_ERROR(fields.Required(member, out));
  if (out->empty()) return Invalid(fields.PathOf(member), *out, "must not be empty");
  return Status::Ok();
}

Status ReadOptionalIdentifier(const ObjectFields& fields, std::string_view member,
                              std::string* out) {
  if (!fields.Has(member)) return Status::Ok();
  return ReadIdentifier(fields, member, out);
}

Status CheckTagKey(std::string_view path, const std::string& key) {
  size_t length = CharacterCount(key);
  if (length == 0 || length > kMaxTagKeyLength) {
    return Invalid(path, key, "tag keys must be 1-128 characters");
  }
  if (StartsWithIgnoringCase(key, "aws:")) {
    return Invalid(path, key, "tag keys starting with \"aws:\" are reserved for AWS");
  }
  return Status::Ok();
}

Status CheckTags(std::string_view path, const TagMap& tags, size_t min_count) {
  GLEANER_RETURN_IF_ERROR(CheckCount(path, tags.size(), min_count, kMaxTags));
  for (const auto& [key, value] : tags) {
    GLEANER_RETURN_IF_ERROR(CheckTagKey(std::string(path) + " key", key));
    GLEANER_RETURN_IF_ERROR(CheckMaxLength(KeyPath(path, key), value, kMaxTagValueLength));
    if (key == kPreemptionRetriesTag && !ParsePreemptionBudget(value)) {
      return Invalid(KeyPath(path, key), value, kPreemptionBudgetRule);
    }
  }
  return Status::Ok();
}

Status ReadTags(const ObjectFields& fields, TagMap* out) {
  GLEANER_RETURN_IF_ERROR(fields.ReadIfPresent("tags", out));
  return CheckTags(fields.PathOf("tags"), *out, 0);
}

Status ReadPage(const ObjectFields& fields, PageRequest* out) {
  std::optional<int> max_results;
  GLEANER_RETURN_IF_ERROR(fields.Optional("maxResults", &max_results));
  if (max_results) {
    GLEANER_RETURN_IF_ERROR(CheckRange(fields.PathOf("maxResults"), *max_results, 1, kMaxPageSize));
    out->max_results = max_results;
  }
  return fields.ReadIfPresent("nextToken", &out->next_token);
}

}  // namespace gleaner::fields
