#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "serialization/wire_frame.hpp"

namespace corral {

/// One member of the cluster as this node sees it, for `corral nodes` and
/// the remote backend.
struct member_info {
  std::string node_id;
  /// Its listen address, tcp://HOST:PORT.
  std::string address;
  member_state state = member_state::joining;
  /// Start time of its process, ms since the Unix epoch.
  std::uint64_t incarnation = 0;
  /// Its latest heartbeat sequence known here.
  std::uint64_t heartbeat = 0;
  /// Milliseconds since a frame from it arrived; empty before the first
  /// one and for this node itself.
  std::optional<std::int64_t> last_heard_ms;
  /// Latest heartbeat round-trip time in microseconds; empty before the
  /// first acknowledgement.
  std::optional<std::int64_t> rtt_us;
  /// Live agents it reported in its latest heartbeat, or this node's own
  /// count for itself.
  std::optional<std::uint64_t> agents;
  /// True for the entry of this node.
  bool self = false;
};

/// The kind of change of a member.
enum class member_event_kind {
  /// Heard from for the first time, or again after being down.
  up,
  /// Declared failed, or found restarted (the old run is down).
  down,
  /// Left on purpose.
  left,
};

/// Returns "up", "down" or "left".
const char* to_string(member_event_kind x);

/// A member event. Per member, `up` alternates with `down` or `left`.
struct member_event {
  member_event_kind kind = member_event_kind::up;
  member_info member;
};

/// Receives member events on the I/O thread; must not block.
using member_listener = std::function<void(const member_event&)>;

} // namespace corral
