#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

namespace gleaner {

// A string that many objects hold at once (the ARN of the job queue a million jobs wait in),
// stored once when it comes from a StringPool. Reads as a const std::string&.
class SharedString {
 public:
  SharedString() = default;
  // A string of its own, shared with nothing yet.
  SharedString(std::string value)  // NOLINT(google-explicit-constructor): assigning a string
      : value_(std::make_shared<const std::string>(std::move(value))) {}
  SharedString(const char* value) : SharedString(std::string(value)) {}  // NOLINT: as above

  const std::string& str() const { return value_ ? *value_ : Empty(); }
  operator const std::string&() const { return str(); }  // NOLINT: reads as the string
  bool empty() const { return str().empty(); }
  bool SharedWith(const SharedString& other) const { return value_ == other.value_; }

  friend bool operator==(const SharedString& a, const SharedString& b) {
    return a.str() == b.str();
  }
  friend bool operator==(const SharedString& a, const std::string& b) { return a.str() == b; }
  friend bool operator==(const SharedString& a, const char* b) { return a.str() == b; }

 private:
  static const std::string& Empty() {
    static const std::string empty;
    return empty;
  }

  std::shared_ptr<const std::string> value_;
};

// Hands out one SharedString per distinct value.
class StringPool {
 public:
  SharedString Intern(const std::string& value) {
    auto found = pool_.find(value);
    if (found == pool_.end()) found = pool_.emplace(value, SharedString(value)).first;
    return found->second;
  }

 private:
  std::map<std::string, SharedString, std::less<>> pool_;
};

}  // namespace gleaner
