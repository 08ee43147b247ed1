#pragma once

// A small reader for JSON documents that tracks where it is, so that every
// error names the path of the offending value and what was expected there,
// e.g. "spawn_request.limits.fuel: expected an unsigned integer".
//
// The readers throw json_read_error to abandon a document at its first
// error. `read_json_document` catches it (and every other exception) and
// returns a failure, so no exception leaves the public `from_json`
// functions.

#include <cstddef>
#include <cstdint>
#include <exception>
#include <new>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "serialization/enum_names.hpp"
#include "serialization/errc.hpp"
#include "serialization/result.hpp"

namespace corral {

/// The first error in a JSON document, as "path: what was expected".
class json_read_error : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

/// Quotes `text` as a JSON string for an error message. Cuts it to 64
/// bytes and replaces invalid UTF-8, so that a hostile input cannot flood
/// or break a log line.
std::string quote_for_error(const std::string& text);

/// Extends `path` by an object key: "path.key", or path["key"] when the
/// key is not made of letters, digits, '_' and '-' only.
std::string join_path(const std::string& path, const std::string& key);

/// A JSON value together with its path from the document root.
class json_at {
public:
  /// Refers to `value`, which must outlive this object.
  json_at(const nlohmann::json& value, std::string path);

  const nlohmann::json& value() const noexcept {
    return *value_;
  }

  const std::string& path() const noexcept {
    return path_;
  }

  /// Throws json_read_error with the text "path: what".
  [[noreturn]] void fail(const std::string& what) const;

  /// Fails with "expected a string" for anything but a string.
  std::string as_string() const;

  /// Like `as_string`, and also fails for the empty string.
  std::string as_non_empty_string() const;

  /// Returns a non-empty string that names a file or image: the system
  /// cuts such a name at a NUL byte, so one inside is rejected.
  std::string as_file_name() const;

  /// Fails with "expected true or false" for anything but a boolean.
  bool as_bool() const;

  /// Fails with "expected an unsigned integer" for negative numbers,
  /// floats (even 1.0) and numbers beyond 2^64-1, which the parser turns
  /// into floats.
  std::uint64_t as_unsigned() const;

  /// Like `as_unsigned`, with at most 4294967295.
  std::uint32_t as_uint32() const;

  /// Fails with "expected an integer" for floats and numbers outside the
  /// range of std::int64_t.
  std::int64_t as_integer() const;

  /// Reads an array of strings; an element of another type fails with its
  /// own path, e.g. "topics[2]: expected a string".
  std::vector<std::string> as_string_array() const;

  /// Reads an array of unsigned integers.
  std::vector<std::uint64_t> as_unsigned_array() const;

  /// Reads the name of an enumerator, as `to_string` writes it.
  template <class Enum>
  Enum as_enum() const {
    auto name = as_string();
    Enum x{};
    if (!from_string(name, x))
      fail("unknown value " + quote_for_error(name) + " (expected "
           + enumerator_names<Enum>() + ")");
    return x;
  }

  /// The number of elements; fails with "expected an array" unless the
  /// value is an array.
  std::size_t array_size() const;

  /// The element at `index` of an array, with the path "path[index]".
  json_at element(std::size_t index) const;

private:
  const nlohmann::json* value_;
  std::string path_;
};

/// Reads the fields of one JSON object. `finish` rejects every field that
/// no caller asked for, so a misspelt field is an error instead of being
/// silently ignored.
class json_object_reader {
public:
  /// Fails with "path: expected an object" unless `at` is an object.
  explicit json_object_reader(json_at at);

  const json_at& at() const noexcept {
    return at_;
  }

  /// The field, or nothing when it is absent.
  std::optional<json_at> field(const std::string& name);

  /// The field, or nothing when it is absent or null. For fields whose
  /// struct member is a std::optional.
  std::optional<json_at> nullable_field(const std::string& name);

  /// The field; fails with "path.name: missing required field" when it is
  /// absent.
  json_at required_field(const std::string& name);

  /// Fails with "path.name: unknown field" for the first field, in key
  /// order, that no call above asked for.
  void finish() const;

private:
  json_at at_;
  std::vector<std::string> known_;
};

// g++ 12 reports a false -Wmaybe-uninitialized for the strings of
// process_info when this function is inlined in Release builds.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
/// Reads a whole document with `read_json(json_at, T&)`, rooted at the path
/// `root`. Returns failure{errc::invalid_request, "path: ..."} for the first
/// error and never throws.
template <class T>
result<T> read_json_document(const nlohmann::json& document,
                             const std::string& root) {
  try {
    T value{};
    read_json(json_at(document, root), value);
    return result<T>(std::move(value));
  } catch (const json_read_error& e) {
    return failure{errc::invalid_request, e.what()};
  } catch (const std::bad_alloc&) {
    return failure{errc::invalid_request, root + ": out of memory"};
  } catch (const std::exception& e) {
    return failure{errc::invalid_request, root + ": " + e.what()};
  }
}
#pragma GCC diagnostic pop

} // namespace corral
