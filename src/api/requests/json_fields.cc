#include "api/requests/json_fields.h"

#include <cstdio>
#include <limits>

namespace gleaner::fields {
namespace {

using nlohmann::json;

// Long values are cut in messages: the message names the field, it need not repeat a 30 KiB
// command line.
constexpr size_t kMaxQuotedBytes = 80;

std::string_view KindName(JsonKind kind) {
  switch (kind) {
    case JsonKind::kString:
      return "a string";
    case JsonKind::kInteger:
      return "an integer";
    case JsonKind::kLong:
      return "an integer";
    case JsonKind::kBoolean:
      return "a boolean";
    case JsonKind::kNumber:
      return "a number";
    case JsonKind::kObject:
      return "an object";
    case JsonKind::kArray:
      return "a list";
    case JsonKind::kStringList:
      return "a list of strings";
    case JsonKind::kObjectList:
      return "a list of objects";
    case JsonKind::kStringMap:
      return "an object of string values";
  }
  return "a value";
}

// nlohmann keeps non-negative integers as unsigned: read both without wrapping around.
std::optional<int64_t> AsInt64(const json& value) {
  if (value.is_number_unsigned()) {
    auto unsigned_value = value.get<uint64_t>();
    if (unsigned_value > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return std::nullopt;
    }
    return static_cast<int64_t>(unsigned_value);
  }
  if (value.is_number_integer()) return value.get<int64_t>();
  return std::nullopt;
}

// The value as a message shows it: short values in full, long ones summarized.
std::string Describe(const json& value) {
  if (value.is_string())
    return std::string(value.type_name()) + " " + Quote(value.get_ref<const std::string&>());
  if (value.is_number() || value.is_boolean())
    return std::string(value.type_name()) + " " + value.dump();
  return value.type_name();
}

std::string FormatNumber(double value) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.10g", value);
  return text;
}

Status CheckElements(const json& value, std::string_view path, JsonKind element_kind) {
  for (size_t index = 0; index < value.size(); ++index) {
    GLEANER_RETURN_IF_ERROR(CheckKind(value[index], IndexPath(path, index), element_kind));
  }
  return Status::Ok();
}

Status CheckMapValues(const json& value, std::string_view path) {
  for (const auto& [key, member] : value.items()) {
    GLEANER_RETURN_IF_ERROR(CheckKind(member, KeyPath(path, key), JsonKind::kString));
  }
  return Status::Ok();
}

}  // namespace

std::string MemberPath(std::string_view parent, std::string_view member) {
  if (parent.empty()) return std::string(member);
  std::string path(parent);
  path.append(".").append(member);
  return path;
}

std::string IndexPath(std::string_view parent, size_t index) {
  std::string path(parent);
  path.append("[").append(std::to_string(index)).append("]");
  return path;
}

std::string KeyPath(std::string_view parent, std::string_view key) {
  std::string path(parent);
  path.append("[").append(Quote(key)).append("]");
  return path;
}

std::string Quote(std::string_view text) {
  bool cut = text.size() > kMaxQuotedBytes;
  if (cut) {
    size_t end = kMaxQuotedBytes;
    // Never split a UTF-8 sequence: back up over continuation bytes (10xxxxxx).
    while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
    text = text.substr(0, end);
  }
  std::string quoted = json(std::string(text)).dump(-1, ' ', false, json::error_handler_t::replace);
  return cut ? quoted + "..." : quoted;
}

size_t CharacterCount(std::string_view text) {
  size_t count = 0;
  for (char c : text) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++count;
  }
  return count;
}

Status Missing(std::string_view path) {
  return Status::InvalidArgument(std::string(path) + " is required");
}

Status WrongType(std::string_view path, JsonKind expected, const json& got) {
  std::string subject = path.empty() ? std::string("the request body") : std::string(path);
  return Status::InvalidArgument(subject + " must be " + std::string(KindName(expected)) +
                                 ", got " + Describe(got));
}

Status Invalid(std::string_view path, std::string_view value, std::string_view rule) {
  return Status::InvalidArgument(std::string(path) + " " + Quote(value) +
                                 " is invalid: " + std::string(rule));
}

Status NotAllowed(std::string_view path, std::string_view rule) {
  return Status::InvalidArgument(std::string(path) + " is not allowed: " + std::string(rule));
}

Status OutOfRange(std::string_view path, std::string_view range, std::string_view got) {
  return Status::InvalidArgument(std::string(path) + " must be " + std::string(range) + ", got " +
                                 std::string(got));
}

Status CheckRange(std::string_view path, int64_t value, int64_t min, int64_t max) {
  if (value >= min && value <= max) return Status::Ok();
  return OutOfRange(path, "between " + std::to_string(min) + " and " + std::to_string(max),
                    std::to_string(value));
}

Status CheckNumberRange(std::string_view path, double value, double min, double max) {
  if (value >= min && value <= max) return Status::Ok();
  return OutOfRange(path, "between " + FormatNumber(min) + " and " + FormatNumber(max),
                    FormatNumber(value));
}

Status CheckCount(std::string_view path, size_t count, size_t min, size_t max) {
  if (count >= min && count <= max) return Status::Ok();
  std::string range = "between " + std::to_string(min) + " and " + std::to_string(max);
  if (min == max) range = "exactly " + std::to_string(max);
  if (min == 0) range = "at most " + std::to_string(max);
  std::string noun = max == 1 ? " entry" : " entries";
  return Status::InvalidArgument(std::string(path) + " must have " + range + noun + ", got " +
                                 std::to_string(count));
}

Status CheckMaxLength(std::string_view path, std::string_view text, size_t max) {
  size_t length = CharacterCount(text);
  if (length <= max) return Status::Ok();
  return OutOfRange(path, "at most " + std::to_string(max) + " characters", std::to_string(length));
}

Status CheckKind(const json& value, std::string_view path, JsonKind kind) {
  switch (kind) {
    case JsonKind::kString:
      return value.is_string() ? Status::Ok() : WrongType(path, kind, value);
    case JsonKind::kInteger: {
      int dummy = 0;
      return ReadValue(value, path, &dummy);
    }
    case JsonKind::kLong:
      return AsInt64(value) ? Status::Ok() : WrongType(path, kind, value);
    case JsonKind::kBoolean:
      return value.is_boolean() ? Status::Ok() : WrongType(path, kind, value);
    case JsonKind::kNumber:
      return value.is_number() ? Status::Ok() : WrongType(path, kind, value);
    case JsonKind::kObject:
      return value.is_object() ? Status::Ok() : WrongType(path, kind, value);
    case JsonKind::kArray:
      return value.is_array() ? Status::Ok() : WrongType(path, kind, value);
    case JsonKind::kStringList:
      if (!value.is_array()) return WrongType(path, kind, value);
      return CheckElements(value, path, JsonKind::kString);
    case JsonKind::kObjectList:
      if (!value.is_array()) return WrongType(path, kind, value);
      return CheckElements(value, path, JsonKind::kObject);
    case JsonKind::kStringMap:
      if (!value.is_object()) return WrongType(path, kind, value);
      return CheckMapValues(value, path);
  }
  return WrongType(path, kind, value);
}

Status ReadValue(const json& value, std::string_view path, std::string* out) {
  GLEANER_RETURN_IF_ERROR(CheckKind(value, path, JsonKind::kString));
  *out = value.get<std::string>();
  return Status::Ok();
}

Status ReadValue(const json& value, std::string_view path, int* out) {
  std::optional<int64_t> wide = AsInt64(value);
  if (!wide) {
    // A huge unsigned number is still an integer: say it is out of range, not of the wrong type.
    if (value.is_number_unsigned()) {
      return OutOfRange(path, "a 32-bit integer", value.dump());
    }
    return WrongType(path, JsonKind::kInteger, value);
  }
  if (*wide < std::numeric_limits<int>::min() || *wide > std::numeric_limits<int>::max()) {
    return OutOfRange(path, "a 32-bit integer", std::to_string(*wide));
  }
  *out = static_cast<int>(*wide);
  return Status::Ok();
}

Status ReadValue(const json& value, std::string_view path, int64_t* out) {
  std::optional<int64_t> wide = AsInt64(value);
  if (!wide) return WrongType(path, JsonKind::kLong, value);
  *out = *wide;
  return Status::Ok();
}

Status ReadValue(const json& value, std::string_view path, bool* out) {
  GLEANER_RETURN_IF_ERROR(CheckKind(value, path, JsonKind::kBoolean));
  *out = value.get<bool>();
  return Status::Ok();
}

Status ReadValue(const json& value, std::string_view path, double* out) {
  GLEANER_RETURN_IF_ERROR(CheckKind(value, path, JsonKind::kNumber));
  *out = value.get<double>();
  return Status::Ok();
}

Status ReadValue(const json& value, std::string_view path, std::vector<std::string>* out) {
  GLEANER_RETURN_IF_ERROR(CheckKind(value, path, JsonKind::kStringList));
  std::vector<std::string> strings;
  strings.reserve(value.size());
  for (const json& element : value) strings.push_back(element.get<std::string>());
  *out = std::move(strings);
  return Status::Ok();
}

Status ReadValue(const json& value, std::string_view path,
                 std::map<std::string, std::string>* out) {
  GLEANER_RETURN_IF_ERROR(CheckKind(value, path, JsonKind::kStringMap));
  std::map<std::string, std::string> strings;
  for (const auto& [key, member] : value.items()) strings.emplace(key, member.get<std::string>());
  *out = std::move(strings);
  return Status::Ok();
}

Result<ObjectFields> ObjectFields::Open(const json& value, std::string path) {
  GLEANER_RETURN_IF_ERROR(CheckKind(value, path, JsonKind::kObject));
  return ObjectFields(&value, std::move(path));
}

const json* ObjectFields::Find(std::string_view member) const {
  auto found = object_->find(member);
  if (found == object_->end() || found->is_null()) return nullptr;
  return &*found;
}

Status ObjectFields::OptionalObject(std::string_view member,
                                    std::optional<ObjectFields>* out) const {
  const json* value = Find(member);
  if (value == nullptr) return Status::Ok();
  Result<ObjectFields> nested = Open(*value, PathOf(member));
  if (!nested.ok()) return nested.status();
  *out = std::move(nested).value();
  return Status::Ok();
}

Status ObjectFields::OptionalArray(std::string_view member, const json** out) const {
  const json* value = Find(member);
  if (value != nullptr)
    GLEANER_RETURN_IF_ERROR(CheckKind(*value, PathOf(member), JsonKind::kArray));
  *out = value;
  return Status::Ok();
}

Status ObjectFields::CheckKinds(
    std::initializer_list<std::pair<std::string_view, JsonKind>> members) const {
  for (const auto& [member, kind] : members) {
    if (const json* value = Find(member)) {
      GLEANER_RETURN_IF_ERROR(CheckKind(*value, PathOf(member), kind));
    }
  }
  return Status::Ok();
}

Status ObjectFields::CheckPresent(std::initializer_list<std::string_view> members) const {
  for (std::string_view member : members) {
    if (!Has(member)) return Missing(PathOf(member));
  }
  return Status::Ok();
}

Status ObjectFields::CheckAbsent(std::initializer_list<std::string_view> members,
                                 std::string_view rule) const {
  for (std::string_view member : members) {
    if (Has(member)) return NotAllowed(PathOf(member), rule);
  }
  return Status::Ok();
}

Status CheckObjectList(const ObjectFields& parent, std::string_view member,
                       std::initializer_list<std::string_view> required,
                       std::initializer_list<std::pair<std::string_view, JsonKind>> kinds) {
  const json* list = nullptr;
  GLEANER_RETURN_IF_ERROR(parent.OptionalArray(member, &list));
  if (list == nullptr) return Status::Ok();
  for (size_t index = 0; index < list->size(); ++index) {
    Result<ObjectFields> element =
        ObjectFields::Open((*list)[index], IndexPath(parent.PathOf(member), index));
    if (!element.ok()) return element.status();
    GLEANER_RETURN_IF_ERROR(element->CheckPresent(required));
    GLEANER_RETURN_IF_ERROR(element->CheckKinds(kinds));
  }
  return Status::Ok();
}

}  // namespace gleaner::fields
