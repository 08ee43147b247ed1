#pragma once

// The CAF messages between the remote backend's gateway, its proxies and
// the cluster's I/O thread.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>

#include "actors/messages.hpp"
#include "serialization/remote_bodies.hpp"

namespace corral::remote {

/// Tells a proxy that its spawn failed, with the error as the reason.
using failed_atom = caf::atom_constant<caf::atom("rfailed")>;

/// Marks the timer of a spawn that waits for its WASM module's bytes.
using module_atom = caf::atom_constant<caf::atom("rmodule")>;

/// Marks the timer of payloads held until their sender is a member.
using hold_atom = caf::atom_constant<caf::atom("rhold")>;

/// Marks the timer of requests from other nodes served by agents here.
using serve_atom = caf::atom_constant<caf::atom("rserve")>;

/// Bodies of `message` frames up to this size are decoded on the I/O thread
/// and delivered without the gateway. Larger ones go through the gateway,
/// so that decoding them does not hold up the I/O thread's heartbeats.
constexpr std::size_t max_direct_body_bytes = 64 * 1024;

/// Timings of the remote backend.
struct remote_settings {
  /// Time a spawn waits for the target node's reply.
  std::chrono::milliseconds spawn_timeout{10'000};
  /// Time a request waits for its reply from another node, unless the
  /// requester's own (usually shorter) timeout ends it first.
  std::chrono::milliseconds request_timeout{60'000};
  /// Requests from other nodes that agents of this node may serve at once.
  /// Each waits until its requester's deadline, at most `request_timeout`,
  /// so a member could otherwise grow the table by sending requests to an
  /// agent that never replies. Requests beyond it fail at once with
  /// `resource_limit_exceeded`.
  std::size_t max_served_requests = 65'536;
  /// Time that payloads from a node that is not yet an alive member wait
  /// for it to become one. It is about the time a joining member has to
  /// respond.
  std::chrono::milliseconds hold_for_member{3'000};
  /// Payloads held per such node; more are dropped.
  std::size_t max_held_payloads = 1024;
  /// Bytes of payload bodies held per such node, as the transport's bound
  /// on incomplete messages per peer; more are dropped.
  std::size_t max_held_bytes = 128 * 1024 * 1024;
};

/// A payload message from another node, passed from the I/O thread to the
/// gateway, which decodes it there rather than on the I/O thread.
struct inbound_payload {
  std::string from_node;
  std::uint8_t kind = 0;
  std::string body;
};

/// A change of a member's reachability, from the member listener.
struct member_change {
  std::string node_id;
  /// False for down and left.
  bool alive = false;
  /// "down" or "left" when not alive, for exit details and logs.
  std::string event;
};

} // namespace corral::remote

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(corral::remote::inbound_payload)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(corral::remote::member_change)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(corral::remote_signal)
