#include "serialization/spawn_request.hpp"

#include <cstdio>

namespace corral {

namespace {

std::string describe_byte(const std::string& id, std::size_t index) {
  char text[48];
  std::snprintf(text, sizeof(text), "byte 0x%02x at index %zu",
                static_cast<unsigned>(static_cast<unsigned char>(id[index])),
                index);
  return text;
}

} // namespace

std::optional<std::string> agent_id_error(const std::string& id) {
  if (id.empty())
    return "must not be empty";
  if (id.size() > max_agent_id_length)
    return "must be at most " + std::to_string(max_agent_id_length)
           + " characters, got " + std::to_string(id.size());

  bool all_digits = true;
  for (std::size_t i = 0; i < id.size(); ++i) {
    auto byte = static_cast<unsigned char>(id[i]);
    if (byte == ':')
      return "must not contain ':' (it separates node and pid), found at "
             "index "
             + std::to_string(i);
    if (byte >= 0x80)
      return "must be ASCII, found " + describe_byte(id, i);
    if (byte <= 0x20 || byte == 0x7f)
      return "must not contain whitespace or control characters, found "
             + describe_byte(id, i);
    if (byte < '0' || byte > '9')
      all_digits = false;
  }
  if (all_digits)
    return "must not be all digits, because it would read as a pid";
  return std::nullopt;
}

} // namespace corral
