#pragma once

// Reading and writing the members of AWS-shaped JSON objects. Shared by the model's codecs
// (json_codec.cc, job_codec.cc); not part of the model's interface.

#include <nlohmann/json.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace gleaner {

// The record member holding what gleaner keeps about an object beyond AWS's shape.
inline constexpr char kBookkeepingMember[] = "gleaner";

// Reads the members of one JSON object into typed fields. An absent or null member leaves its
// field as it was (absent means "not given"); a member of the wrong JSON type records an error
// naming it by its path ("computeResources.maxvCpus must be an integer"). Only the first error is
// kept and reading stops there, like a stream's fail bit, so callers read every member and check
// status() once.
//
// A reader made with ReadMode::kTake moves strings and raw members out of the document as it reads
// them instead of copying them: for a caller that discards the document afterwards (a store record
// parsed only to be decoded).
enum class ReadMode { kCopy, kTake };

class JsonObjectReader {
 public:
  // `path` names the object in error messages; empty for a whole document.
  JsonObjectReader(const nlohmann::json& object, std::string path);
  JsonObjectReader(nlohmann::json& object, std::string path, ReadMode mode);

  void Read(std::string_view name, std::string& out);
  void Read(std::string_view name, std::optional<std::string>& out);
  void Read(std::string_view name, int& out);
  void Read(std::string_view name, std::optional<int>& out);
  void Read(std::string_view name, int64_t& out);
  void Read(std::string_view name, std::optional<int64_t>& out);
  void Read(std::string_view name, bool& out);
  void Read(std::string_view name, std::optional<bool>& out);
  void Read(std::string_view name, std::optional<double>& out);
  void Read(std::string_view name, std::vector<std::string>& out);
  void Read(std::string_view name, std::map<std::string, std::string>& out);
  // Any JSON value, kept as given; an absent member leaves `out` unchanged.
  void ReadRaw(std::string_view name, nlohmann::json& out);

  // Records an error when `name` is absent or null. Checked before reading it.
  void Require(std::string_view name);

  // An object member, read by `read_fields(JsonObjectReader&, T&)`.
  template <typename T, typename ReadFields>
  void ReadObject(std::string_view name, T& out, ReadFields read_fields);
  // Same, setting `out` only when the member is present.
  template <typename T, typename ReadFields>
  void ReadObject(std::string_view name, std::optional<T>& out, ReadFields read_fields);
  // A list of objects, each read by `read_fields(JsonObjectReader&, T&)`.
  template <typename T, typename ReadFields>
  void ReadObjectList(std::string_view name, std::vector<T>& out, ReadFields read_fields);

  // The members nothing has read yet: what a passthrough keeps (taken out of the document in
  // ReadMode::kTake).
  nlohmann::json UnreadMembers();

  // Records that member `name` has an unacceptable value ("... is not a job status").
  void Fail(std::string_view name, std::string_view problem);

  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }

 private:
  // A member object (`index` set: an item of the list `name`) read by `parent`. Its path is only
  // spelled out when an error needs it, so reading a valid document builds no path strings.
  JsonObjectReader(const nlohmann::json& object, const JsonObjectReader& parent,
                   std::string_view name, std::optional<size_t> index);

  // The member to read, marking it read; nullptr when it is absent or null, or after an error.
  const nlohmann::json* Take(std::string_view name);
  // The string `value` (a member being read): moved out of the document in ReadMode::kTake.
  std::string StringOf(const nlohmann::json& value) const;
  // Any member being read, likewise.
  nlohmann::json ValueOf(const nlohmann::json& value) const;
  std::string Path() const;
  std::string PathOf(std::string_view name) const;
  void Fail(Status status);
  void MarkRead(const std::string& key);
  bool WasRead(const std::string& key) const;
  // Reads into `out` through a sub-reader; false (and the error recorded) when it failed.
  template <typename T, typename ReadFields>
  bool ReadNested(const nlohmann::json& json, std::string_view name, std::optional<size_t> index,
                  T& out, ReadFields& read_fields);

  const nlohmann::json& object_;
  bool take_ = false;  // ReadMode::kTake: object_ is not const, its members may be moved from
  std::string path_;   // of a whole document; a member object's is its parent's path and name_
  const JsonObjectReader* parent_ = nullptr;
  std::string_view name_;
  std::optional<size_t> index_;
  // The keys (in object_, compared by address) of the members read so far: the first few inline,
  // so a record's many small objects cost no allocation for it.
  std::array<const std::string*, 24> read_{};
  size_t read_count_ = 0;
  std::vector<const std::string*> more_read_;
  Status status_;
};

// Parses a whole object with `read_fields`, turning any error, even an unexpected nlohmann
// exception, into an InvalidArgument Status.
template <typename T, typename ReadFields>
Result<T> ParseObject(const nlohmann::json& json, std::string path, ReadFields read_fields);
// Same, moving what it reads out of `json` (ReadMode::kTake), which is left in a valid but
// unspecified state.
template <typename T, typename ReadFields>
Result<T> ParseObject(nlohmann::json&& json, std::string path, ReadFields read_fields);

// Writers: absent optionals and empty values are left out, as AWS leaves them out.
void SetIfNotEmpty(nlohmann::json& out, std::string_view name, const std::string& value);
void SetIfNotEmpty(nlohmann::json& out, std::string_view name,
                   const std::vector<std::string>& values);
void SetIfNotEmpty(nlohmann::json& out, std::string_view name,
                   const std::map<std::string, std::string>& values);
template <typename T>
void SetIfPresent(nlohmann::json& out, std::string_view name, const std::optional<T>& value) {
  if (value) out[std::string(name)] = *value;
}

// The start of an object that merges a passthrough with typed members: the passthrough without
// `typed_members`, so a typed member, present or absent, always wins over a stray copy.
nlohmann::json PassthroughWithout(const nlohmann::json& passthrough,
                                  std::initializer_list<std::string_view> typed_members);

// ---- template definitions ----

template <typename T, typename ReadFields>
bool JsonObjectReader::ReadNested(const nlohmann::json& json, std::string_view name,
                                  std::optional<size_t> index, T& out, ReadFields& read_fields) {
  JsonObjectReader nested(json, *this, name, index);
  read_fields(nested, out);
  if (nested.ok()) return true;
  Fail(nested.status());
  return false;
}

template <typename T, typename ReadFields>
void JsonObjectReader::ReadObject(std::string_view name, T& out, ReadFields read_fields) {
  if (const nlohmann::json* member = Take(name)) {
    ReadNested(*member, name, std::nullopt, out, read_fields);
  }
}

template <typename T, typename ReadFields>
void JsonObjectReader::ReadObject(std::string_view name, std::optional<T>& out,
                                  ReadFields read_fields) {
  if (const nlohmann::json* member = Take(name)) {
    T value;
    if (ReadNested(*member, name, std::nullopt, value, read_fields)) out = std::move(value);
  }
}

template <typename T, typename ReadFields>
void JsonObjectReader::ReadObjectList(std::string_view name, std::vector<T>& out,
                                      ReadFields read_fields) {
  const nlohmann::json* member = Take(name);
  if (member == nullptr) return;
  if (!member->is_array()) return Fail(name, "must be a list");
  std::vector<T> values;
  values.reserve(member->size());
  for (size_t index = 0; index < member->size(); ++index) {
    T value;
    if (!ReadNested((*member)[index], name, index, value, read_fields)) return;
    values.push_back(std::move(value));
  }
  out = std::move(values);
}

// What both ParseObject overloads do once they have made their reader.
template <typename T, typename ReadFields>
Result<T> ParseObjectWith(JsonObjectReader& reader, ReadFields& read_fields) {
  try {
    T out;
    read_fields(reader, out);
    if (!reader.ok()) return reader.status();
    return out;
  } catch (const nlohmann::json::exception& error) {
    return Status::InvalidArgument(std::string("malformed JSON document: ") + error.what());
  }
}

template <typename T, typename ReadFields>
Result<T> ParseObject(const nlohmann::json& json, std::string path, ReadFields read_fields) {
  JsonObjectReader reader(json, std::move(path));
  return ParseObjectWith<T>(reader, read_fields);
}

template <typename T, typename ReadFields>
Result<T> ParseObject(nlohmann::json&& json, std::string path, ReadFields read_fields) {
  JsonObjectReader reader(json, std::move(path), ReadMode::kTake);
  return ParseObjectWith<T>(reader, read_fields);
}

}  // namespace gleaner
