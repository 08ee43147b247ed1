#include "serialization/pid.hpp"

#include <charconv>

namespace corral {

std::string to_string(const global_pid& x) {
  return x.node + ':' + std::to_string(x.pid);
}

std::optional<global_pid> parse_global_pid(const std::string& text) {
  // Split at the last ':' because the pid never contains one, while a node
  // id might (e.g. "host:7000").
  auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0)
    return std::nullopt;

  auto pid = parse_pid(text.substr(colon + 1));
  if (!pid)
    return std::nullopt;
  return global_pid{text.substr(0, colon), *pid};
}

std::optional<pid_type> parse_pid(const std::string& text) {
  // std::from_chars accepts neither a sign nor leading spaces for unsigned
  // types and reports overflow, so only the full-length check is left.
  if (text.empty())
    return std::nullopt;

  pid_type value = 0;
  const char* first = text.data();
  const char* last = first + text.size();
  auto [end, error] = std::from_chars(first, last, value);
  if (error != std::errc{} || end != last)
    return std::nullopt;
  return value;
}

} // namespace corral
