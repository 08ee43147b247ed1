#include "serialization/json_reader.hpp"

#include <algorithm>
#include <limits>

namespace corral {

namespace {

constexpr std::size_t max_quoted_bytes = 64;

bool is_plain_key(const std::string& key) {
  if (key.empty())
    return false;
  return std::all_of(key.begin(), key.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
           || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

} // namespace

std::string quote_for_error(const std::string& text) {
  bool cut = text.size() > max_quoted_bytes;
  nlohmann::json as_json = cut ? text.substr(0, max_quoted_bytes) : text;
  auto quoted = as_json.dump(-1, ' ', false,
                             nlohmann::json::error_handler_t::replace);
  return cut ? quoted + "..." : quoted;
}

std::string join_path(const std::string& path, const std::string& key) {
  if (!is_plain_key(key))
    return path + '[' + quote_for_error(key) + ']';
  if (path.empty())
    return key;
  return path + '.' + key;
}

json_at::json_at(const nlohmann::json& value, std::string path)
  : value_(&value), path_(std::move(path)) {
}

void json_at::fail(const std::string& what) const {
  throw json_read_error(path_ + ": " + what);
}

std::string json_at::as_string() const {
  if (!value_->is_string())
    fail("expected a string");
  return value_->get_ref<const std::string&>();
}

std::string json_at::as_non_empty_string() const {
  auto text = as_string();
  if (text.empty())
    fail("expected a non-empty string");
  return text;
}

std::string json_at::as_file_name() const {
  auto text = as_non_empty_string();
  auto nul = text.find('\0');
  if (nul != std::string::npos)
    fail("contains a NUL byte at offset " + std::to_string(nul)
         + "; a file or image name cannot contain one");
  return text;
}

bool json_at::as_bool() const {
  if (!value_->is_boolean())
    fail("expected true or false");
  return value_->get<bool>();
}

std::uint64_t json_at::as_unsigned() const {
  // nlohmann stores non-negative integers as number_unsigned when parsing,
  // but a json built in code from an int is number_integer.
  if (value_->is_number_unsigned())
    return value_->get<std::uint64_t>();
  if (value_->is_number_integer()) {
    auto signed_value = value_->get<std::int64_t>();
    if (signed_value >= 0)
      return static_cast<std::uint64_t>(signed_value);
  }
  fail("expected an unsigned integer");
}

std::uint32_t json_at::as_uint32() const {
  constexpr auto max = std::numeric_limits<std::uint32_t>::max();
  bool in_range = value_->is_number_integer()
                  && (value_->is_number_unsigned()
                        ? value_->get<std::uint64_t>() <= max
                        : value_->get<std::int64_t>() >= 0
                            && value_->get<std::int64_t>() <= max);
  if (!in_range)
    fail("expected an unsigned integer up to " + std::to_string(max));
  return static_cast<std::uint32_t>(value_->get<std::uint64_t>());
}

std::int64_t json_at::as_integer() const {
  constexpr auto max = std::numeric_limits<std::int64_t>::max();
  if (value_->is_number_unsigned()) {
    auto unsigned_value = value_->get<std::uint64_t>();
    if (unsigned_value <= static_cast<std::uint64_t>(max))
      return static_cast<std::int64_t>(unsigned_value);
  } else if (value_->is_number_integer()) {
    return value_->get<std::int64_t>();
  }
  fail("expected an integer");
}

std::vector<std::string> json_at::as_string_array() const {
  auto size = array_size();
  std::vector<std::string> strings;
  strings.reserve(size);
  for (std::size_t i = 0; i < size; ++i)
    strings.push_back(element(i).as_string());
  return strings;
}

std::vector<std::uint64_t> json_at::as_unsigned_array() const {
  auto size = array_size();
  std::vector<std::uint64_t> numbers;
  numbers.reserve(size);
  for (std::size_t i = 0; i < size; ++i)
    numbers.push_back(element(i).as_unsigned());
  return numbers;
}

json_at json_at::element(std::size_t index) const {
  if (index >= array_size())
    fail("expected at least " + std::to_string(index + 1) + " elements");
  return json_at((*value_)[index], path_ + '[' + std::to_string(index) + ']');
}

std::size_t json_at::array_size() const {
  if (!value_->is_array())
    fail("expected an array");
  return value_->size();
}

json_object_reader::json_object_reader(json_at at) : at_(std::move(at)) {
  if (!at_.value().is_object())
    at_.fail("expected an object");
}

std::optional<json_at> json_object_reader::field(const std::string& name) {
  known_.push_back(name);
  auto found = at_.value().find(name);
  if (found == at_.value().end())
    return std::nullopt;
  return json_at(*found, join_path(at_.path(), name));
}

std::optional<json_at>
json_object_reader::nullable_field(const std::string& name) {
  auto found = field(name);
  if (found && found->value().is_null())
    return std::nullopt;
  return found;
}

json_at json_object_reader::required_field(const std::string& name) {
  auto found = field(name);
  if (!found)
    throw json_read_error(join_path(at_.path(), name)
                          + ": missing required field");
  return *found;
}

void json_object_reader::finish() const {
  for (const auto& item : at_.value().items()) {
    if (std::find(known_.begin(), known_.end(), item.key()) == known_.end())
      throw json_read_error(join_path(at_.path(), item.key())
                            + ": unknown field");
  }
}

} // namespace corral
