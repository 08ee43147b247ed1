#pragma once

#include <optional>
#include <utility>

#include "serialization/errc.hpp"

namespace corral {

/// Either a value or the failure that prevented it. The CAF-free twin of
/// caf::expected, used by parsers in this folder.
template <class T>
class result {
public:
  /// Holds a value.
  result(T value) : value_(std::move(value)) {
  }

  /// Holds a failure.
  result(failure error) : error_(std::move(error)) {
  }

  /// True when a value is present.
  explicit operator bool() const noexcept {
    return value_.has_value();
  }

  /// The value; only valid when the result holds one.
  T& operator*() {
    return *value_;
  }

  /// The value; only valid when the result holds one.
  const T& operator*() const {
    return *value_;
  }

  /// The value; only valid when the result holds one.
  T* operator->() {
    return &*value_;
  }

  /// The value; only valid when the result holds one.
  const T* operator->() const {
    return &*value_;
  }

  /// The failure; only meaningful when no value is present.
  const failure& error() const noexcept {
    return error_;
  }

private:
  std::optional<T> value_;
  failure error_;
};

} // namespace corral
