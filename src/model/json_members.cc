#include "model/json_members.h"

#include <algorithm>
#include <limits>

namespace gleaner {
namespace {

using nlohmann::json;

// nlohmann keeps non-negative integers as unsigned: read both kinds without wrapping around.
std::optional<int64_t> AsInt64(const json& value) {
  if (value.is_number_unsigned()) {
    uint64_t unsigned_value = value.get<uint64_t>();
    if (unsigned_value > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return std::nullopt;
    }
    return static_cast<int64_t>(unsigned_value);
  }
  if (value.is_number_integer()) return value.get<int64_t>();
  return std::nullopt;
}

std::optional<int> AsInt(const json& value) {
  std::optional<int64_t> wide = AsInt64(value);
  if (!wide || *wide < std::numeric_limits<int>::min() || *wide > std::numeric_limits<int>::max()) {
    return std::nullopt;
  }
  return static_cast<int>(*wide);
}

}  // namespace

JsonObjectReader::JsonObjectReader(const json& object, std::string path)
    : object_(object), path_(std::move(path)) {
  if (!object_.is_object()) {
    Fail(Status::InvalidArgument((path_.empty() ? std::string("the document") : path_) +
                                 " must be an object"));
  }
}

JsonObjectReader::JsonObjectReader(json& object, std::string path, ReadMode mode)
    : JsonObjectReader(static_cast<const json&>(object), std::move(path)) {
  take_ = mode == ReadMode::kTake;
}

JsonObjectReader::JsonObjectReader(const json& object, const JsonObjectReader& parent,
                                   std::string_view name, std::optional<size_t> index)
    : object_(object), take_(parent.take_), parent_(&parent), name_(name), index_(index) {
  if (!object_.is_object()) Fail(Status::InvalidArgument(Path() + " must be an object"));
}

const json* JsonObjectReader::Take(std::string_view name) {
  if (!ok()) return nullptr;
  auto member = object_.find(name);
  if (member == object_.end()) return nullptr;
  MarkRead(member.key());
  if (member->is_null()) return nullptr;
  return &*member;
}

void JsonObjectReader::MarkRead(const std::string& key) {
  if (read_count_ < read_.size()) {
    read_[read_count_++] = &key;
  } else {
    more_read_.push_back(&key);
  }
}

bool JsonObjectReader::WasRead(const std::string& key) const {
  auto first = read_.begin();
  auto last = first + static_cast<std::ptrdiff_t>(read_count_);
  return std::find(first, last, &key) != last ||
         std::find(more_read_.begin(), more_read_.end(), &key) != more_read_.end();
}

// The const_casts are safe: in ReadMode::kTake the reader was given the document as non-const.
std::string JsonObjectReader::StringOf(const json& value) const {
  if (take_) return std::move(const_cast<json&>(value).get_ref<std::string&>());
  return value.get<std::string>();
}

json JsonObjectReader::ValueOf(const json& value) const {
  if (take_) return std::move(const_cast<json&>(value));
  return value;
}

std::string JsonObjectReader::Path() const {
  if (parent_ == nullptr) return path_;
  std::string path = parent_->PathOf(name_);
  if (index_) path += "[" + std::to_string(*index_) + "]";
  return path;
}

std::string JsonObjectReader::PathOf(std::string_view name) const {
  std::string path = Path();
  return path.empty() ? std::string(name) : path + "." + std::string(name);
}

void JsonObjectReader::Fail(std::string_view name, std::string_view problem) {
  Fail(Status::InvalidArgument(PathOf(name) + " " + std::string(problem)));
}

void JsonObjectReader::Fail(Status status) {
  if (status_.ok()) status_ = std::move(status);
}

void JsonObjectReader::Read(std::string_view name, std::string& out) {
  const json* member = Take(name);
  if (member == nullptr) return;
  if (!member->is_string()) return Fail(name, "must be a string");
  out = StringOf(*member);
}

void JsonObjectReader::Read(std::string_view name, std::optional<std::string>& out) {
  const json* member = Take(name);
  if (member == nullptr) return;
  if (!member->is_string()) return Fail(name, "must be a string");
  out = StringOf(*member);
}

void JsonObjectReader::Read(std::string_view name, int& out) {
  std::optional<int> value;
  Read(name, value);
  if (value) out = *value;
}

void JsonObjectReader::Read(std::string_view name, std::optional<int>& out) {
  const json* member = Take(name);
  if (member == nullptr) return;
  std::optional<int> value = AsInt(*member);
  if (!value) return Fail(name, "must be an integer (32-bit)");
  out = value;
}

void JsonObjectReader::Read(std::string_view name, int64_t& out) {
  std::optional<int64_t> value;
  Read(name, value);
  if (value) out = *value;
}

void JsonObjectReader::Read(std::string_view name, std::optional<int64_t>& out) {
  const json* member = Take(name);
  if (member == nullptr) return;
  std::optional<int64_t> value = AsInt64(*member);
  if (!value) return Fail(name, "must be an integer");
  out = value;
}

void JsonObjectReader::Read(std::string_view name, bool& out) {
  std::optional<bool> value;
  Read(name, value);
  if (value) out = *value;
}

void JsonObjectReader::Read(std::string_view name, std::optional<bool>& out) {
  const json* member = Take(name);
  if (member == nullptr) return;
  if (!member->is_boolean()) return Fail(name, "must be true or false");
  out = member->get<bool>();
}

void JsonObjectReader::Read(std::string_view name, std::optional<double>& out) {
  const json* member = Take(name);
  if (member == nullptr) return;
  if (!member->is_number()) return Fail(name, "must be a number");
  out = member->get<double>();
}

void JsonObjectReader::Read(std::string_view name, std::vector<std::string>& out) {
  const json* member = Take(name);
  if (member == nullptr) return;
  if (!member->is_array()) return Fail(name, "must be a list of strings");
  std::vector<std::string> values;
  for (const json& item : *member) {
    if (!item.is_string()) return Fail(name, "must be a list of strings");
    values.push_back(StringOf(item));
  }
  out = std::move(values);
}

void JsonObjectReader::Read(std::string_view name, std::map<std::string, std::string>& out) {
  const json* member = Take(name);
  if (member == nullptr) return;
  if (!member->is_object()) return Fail(name, "must be a map of strings to strings");
  std::map<std::string, std::string> values;
  for (const auto& [key, value] : member->items()) {
    if (!value.is_string()) return Fail(std::string(name) + "." + key, "must be a string");
    values.emplace(key, StringOf(value));
  }
  out = std::move(values);
}

void JsonObjectReader::ReadRaw(std::string_view name, json& out) {
  if (const json* member = Take(name)) out = ValueOf(*member);
}

void JsonObjectReader::Require(std::string_view name) {
  if (!ok()) return;
  auto member = object_.find(name);
  if (member == object_.end() || member->is_null()) Fail(name, "is required");
}

json JsonObjectReader::UnreadMembers() {
  json unread = json::object();
  if (!object_.is_object()) return unread;
  for (auto member = object_.begin(); member != object_.end(); ++member) {
    if (!WasRead(member.key())) unread[member.key()] = ValueOf(*member);
  }
  return unread;
}

void SetIfNotEmpty(json& out, std::string_view name, const std::string& value) {
  if (!value.empty()) out[std::string(name)] = value;
}

void SetIfNotEmpty(json& out, std::string_view name, const std::vector<std::string>& values) {
  if (!values.empty()) out[std::string(name)] = values;
}

void SetIfNotEmpty(json& out, std::string_view name,
                   const std::map<std::string, std::string>& values) {
  if (!values.empty()) out[std::string(name)] = values;
}

json PassthroughWithout(const json& passthrough,
                        std::initializer_list<std::string_view> typed_members) {
  json out = passthrough.is_object() ? passthrough : json::object();
  for (std::string_view name : typed_members) out.erase(std::string(name));
  return out;
}

}  // namespace gleaner
