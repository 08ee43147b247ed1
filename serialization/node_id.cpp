#include "serialization/node_id.hpp"

#include "serialization/json_reader.hpp"

namespace corral {

std::optional<std::string> node_id_error(const std::string& id) {
  if (id.empty())
    return std::string{"node id is empty"};
  if (id.size() > max_node_id_length)
    return "node id has " + std::to_string(id.size())
           + " characters, more than the maximum of "
           + std::to_string(max_node_id_length);
  for (char c : id) {
    auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte >= 0x7f || c == ':' || c == '/')
      return "node id " + quote_for_error(id)
             + " contains a character other than printable ASCII without "
               "space, ':' and '/'";
  }
  return std::nullopt;
}

} // namespace corral
