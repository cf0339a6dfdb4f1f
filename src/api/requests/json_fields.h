#pragma once

// Typed reading of request members, with the error messages every parser shares. A message
// names the member by its path in the request ("containerOverrides.environment[0].name") and
// says what is wrong and which rule it breaks:
//   <path> is required
//   <path> must be a string, got number
//   <path> must be between 1 and 10, got 11
//   <path> "<value>" is invalid: <rule>
//   <path> is not allowed: <rule>
// Nothing here throws: nlohmann is only asked for what a type check has already confirmed.

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace gleaner::fields {

// The JSON shapes a member may be required to have.
enum class JsonKind {
  kString,
  kInteger,  // 32-bit, as botocore's Integer
  kLong,     // 64-bit, as botocore's Long
  kBoolean,
  kNumber,
  kObject,
  kArray,
  kStringList,
  kObjectList,
  kStringMap,
};

// "" + "jobName" -> "jobName"; "retryStrategy" + "attempts" -> "retryStrategy.attempts".
std::string MemberPath(std::string_view parent, std::string_view member);
// "dependsOn" + 2 -> "dependsOn[2]".
std::string IndexPath(std::string_view parent, size_t index);
// "tags" + "team" -> tags["team"].
std::string KeyPath(std::string_view parent, std::string_view key);

// A client's text quoted for a message: JSON-escaped, cut short when long.
std::string Quote(std::string_view text);
// Length in characters (UTF-8 code points), which is how AWS counts string lengths.
size_t CharacterCount(std::string_view text);

// The messages.
Status Missing(std::string_view path);
Status WrongType(std::string_view path, JsonKind expected, const nlohmann::json& got);
Status Invalid(std::string_view path, std::string_view value, std::string_view rule);
Status NotAllowed(std::string_view path, std::string_view rule);
Status OutOfRange(std::string_view path, std::string_view range, std::string_view got);
Status CheckRange(std::string_view path, int64_t value, int64_t min, int64_t max);
Status CheckNumberRange(std::string_view path, double value, double min, double max);
// "<path> must have between 1 and 3 entries, got 4" (or "at most 50 entries" when min is 0).
Status CheckCount(std::string_view path, size_t count, size_t min, size_t max);
// "<path> must be at most 256 characters, got 300".
Status CheckMaxLength(std::string_view path, std::string_view text, size_t max);

// Whether `value` has the shape of `kind`; WrongType when not. Lists and maps are checked
// element by element, so the message can name the offending element.
Status CheckKind(const nlohmann::json& value, std::string_view path, JsonKind kind);

// Conversions of one JSON value after its kind is checked.
Status ReadValue(const nlohmann::json& value, std::string_view path, std::string* out);
Status ReadValue(const nlohmann::json& value, std::string_view path, int* out);
Status ReadValue(const nlohmann::json& value, std::string_view path, int64_t* out);
Status ReadValue(const nlohmann::json& value, std::string_view path, bool* out);
Status ReadValue(const nlohmann::json& value, std::string_view path, double* out);
Status ReadValue(const nlohmann::json& value, std::string_view path, std::vector<std::string>* out);
Status ReadValue(const nlohmann::json& value, std::string_view path,
                 std::map<std::string, std::string>* out);

// The members of one JSON object. A member that is absent or JSON null counts as not given (as
// AWS's own JSON binding treats null); members nobody asks for are ignored, since newer clients
// send members this server does not know yet.
class ObjectFields {
 public:
  // Fails unless `value` is an object. `path` names it in messages; empty for the request body.
  static Result<ObjectFields> Open(const nlohmann::json& value, std::string path);
  // ObjectFields points into `value`: a temporary would leave it dangling.
  static Result<ObjectFields> Open(nlohmann::json&& value, std::string path) = delete;

  const std::string& path() const { return path_; }
  const nlohmann::json& object() const { return *object_; }
  std::string PathOf(std::string_view member) const { return MemberPath(path_, member); }
  // The member, or nullptr when it is absent or null.
  const nlohmann::json* Find(std::string_view member) const;
  bool Has(std::string_view member) const { return Find(member) != nullptr; }

  // Missing when absent; otherwise the member converted into `out`.
  template <typename T>
  Status Required(std::string_view member, T* out) const;
  // Leaves `out` as it is when absent.
  template <typename T>
  Status Optional(std::string_view member, std::optional<T>* out) const;
  template <typename T>
  Status ReadIfPresent(std::string_view member, T* out) const;

  // A nested object, or nullopt when absent.
  Status OptionalObject(std::string_view member, std::optional<ObjectFields>* out) const;
  // A list member, or nullptr when absent.
  Status OptionalArray(std::string_view member, const nlohmann::json** out) const;

  // Shape checks for members kept as the client sent them (a passthrough), so a wrong shape is
  // refused here rather than echoed back later.
  Status CheckKinds(std::initializer_list<std::pair<std::string_view, JsonKind>> members) const;
  // Missing for the first member listed that is absent.
  Status CheckPresent(std::initializer_list<std::string_view> members) const;
  // Each member listed must be absent; `rule` says why ("not allowed for FARGATE resources").
  Status CheckAbsent(std::initializer_list<std::string_view> members, std::string_view rule) const;

 private:
  ObjectFields(const nlohmann::json* object, std::string path)
      : object_(object), path_(std::move(path)) {}

  const nlohmann::json* object_;
  std::string path_;
};

// Calls `each(const nlohmann::json& element, const std::string& element_path)` for every element
// of `array` in order, stopping at the first error.
template <typename Each>
Status ForEachElement(const nlohmann::json& array, std::string_view path, Each each) {
  for (size_t index = 0; index < array.size(); ++index) {
    Status status = each(array[index], IndexPath(path, index));
    if (!status.ok()) return status;
  }
  return Status::Ok();
}

// Reads every element of `array` with `read_one(element, element_path, T*)`. `out` is assigned
// only when every element reads.
template <typename T, typename ReadOne>
Status ReadEach(const nlohmann::json& array, std::string_view path, std::vector<T>* out,
                ReadOne read_one) {
  std::vector<T> values(array.size());
  for (size_t index = 0; index < array.size(); ++index) {
    Status status = read_one(array[index], IndexPath(path, index), &values[index]);
    if (!status.ok()) return status;
  }
  *out = std::move(values);
  return Status::Ok();
}

// The list member `member` of `parent`, when present, holds objects that each have the `required`
// members, and members of the shapes in `kinds`.
Status CheckObjectList(const ObjectFields& parent, std::string_view member,
                       std::initializer_list<std::string_view> required,
                       std::initializer_list<std::pair<std::string_view, JsonKind>> kinds);

// A whole request: the body must be an object; `read(const ObjectFields&, T*)` fills the request.
// Nothing here should throw; should nlohmann still throw, that is gleaner's bug, reported as an
// internal error rather than let through.
template <typename T, typename Read>
Result<T> ParseBody(const nlohmann::json& body, Read read) {
  try {
    Result<ObjectFields> fields = ObjectFields::Open(body, "");
    if (!fields.ok()) return fields.status();
    T request{};
    Status status = read(*fields, &request);
    if (!status.ok()) return status;
    return request;
  } catch (const nlohmann::json::exception& error) {
    return Status::Internal(std::string("request parsing failed: ") + error.what());
  }
}

// ---- template definitions ----

template <typename T>
Status ObjectFields::Required(std::string_view member, T* out) const {
  const nlohmann::json* value = Find(member);
  if (value == nullptr) return Missing(PathOf(member));
  return ReadValue(*value, PathOf(member), out);
}

template <typename T>
Status ObjectFields::Optional(std::string_view member, std::optional<T>* out) const {
  const nlohmann::json* value = Find(member);
  if (value == nullptr) return Status::Ok();
  T converted{};
  GLEANER_RETURN_IF_ERROR(ReadValue(*value, PathOf(member), &converted));
  *out = std::move(converted);
  return Status::Ok();
}

template <typename T>
Status ObjectFields::ReadIfPresent(std::string_view member, T* out) const {
  const nlohmann::json* value = Find(member);
  if (value == nullptr) return Status::Ok();
  return ReadValue(*value, PathOf(member), out);
}

}  // namespace gleaner::fields
