#pragma once

#include <cstddef>
#include <optional>
#include <string>

namespace corral {

/// Maximum length of a node id, in characters.
inline constexpr std::size_t max_node_id_length = 128;

/// Returns what is wrong with `id` as a node id, or nothing when it is
/// valid. A valid id has 1 to 128 printable ASCII characters other than
/// space, ':' (which separates node and pid in a global pid) and '/'
/// (which separates node id and lane in a ZeroMQ routing identity).
std::optional<std::string> node_id_error(const std::string& id);

} // namespace corral
