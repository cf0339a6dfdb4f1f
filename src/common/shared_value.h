#pragma once

#include <memory>
#include <utility>

namespace gleaner {

// An immutable value that many objects may hold at once (the containerProperties thousands of
// queued jobs copy from one job definition), stored once. Reading gives the value, or a default
// one when none was set; Mutable() copies it first when it is shared (copy on write).
template <typename T>
class SharedValue {
 public:
  SharedValue() = default;
  SharedValue(T value)  // NOLINT(google-explicit-constructor): assigning a value stores it
      : value_(std::make_shared<T>(std::move(value))) {}

  const T& operator*() const { return value_ ? *value_ : Empty(); }
  const T* operator->() const { return &**this; }

  // The value, to change: a copy of its own first when other objects share it.
  T& Mutable() {
    if (!value_ || value_.use_count() > 1) value_ = std::make_shared<T>(**this);
    return *value_;
  }
  // Holds what `other` holds, without a copy.
  void ShareWith(const SharedValue& other) { value_ = other.value_; }
  bool SharedWith(const SharedValue& other) const { return value_ == other.value_; }
  bool Shared() const { return value_ && value_.use_count() > 1; }

 private:
  static const T& Empty() {
    static const T empty;
    return empty;
  }

  std::shared_ptr<T> value_;
};

}  // namespace gleaner
