#pragma once

// The node-to-node wire format: the versioned frame header and the bodies
// of the frames that membership exchanges. docs/wire-protocol.md describes
// the bytes; this file is the code form of that page.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "serialization/binary_forms.hpp"
#include "serialization/result.hpp"

namespace corral {

/// Version of the frame header and bodies that this build writes and the
/// only one it reads. A peer with another version is dropped, not guessed.
/// Version 2 added the `batch` frame.
inline constexpr std::uint16_t wire_protocol_version = 2;

/// Size of an encoded frame header: cereal's endianness byte, then version
/// (2), kind (1), lane (1), message_id (8), chunk_index (4),
/// chunk_count (4) and body_size (4), little-endian.
inline constexpr std::size_t frame_header_bytes = 25;

/// The two connections between a pair of nodes. Control frames (hello,
/// heartbeats, gossip) never wait behind bulk payloads, because each lane
/// has its own socket, queue and TCP connection.
enum class lane : std::uint8_t {
  control = 0,
  bulk = 1,
};

/// Returns "control" or "bulk", or "unknown" for other values.
const char* to_string(lane x);

/// Parses a name produced by `to_string`; returns false for other names.
bool from_string(const std::string& name, lane& x);

/// Frame kinds. 1 to 31 belong to membership and the transport, which
/// handle them themselves (`batch` is the transport's). 32 to 127 are payload kinds that the transport
/// passes to the handler registered for them. The named ones are reserved
/// for the remote backend. Other values are invalid.
enum class frame_kind : std::uint8_t {
  hello = 1,
  heartbeat = 2,
  heartbeat_ack = 3,
  gossip = 4,
  leave = 5,
  /// Several payload messages in one frame; frame_batch.hpp has its body.
  batch = 6,
  // The remote backend's kinds. Monitor, demonitor, link, unlink and
  // link_exit are reserved and not sent, because monitors and links travel
  // as control and signal frames.
  spawn = 32,
  spawn_reply = 33,
  message = 34,
  monitor = 35,
  demonitor = 36,
  monitor_down = 37,
  link = 38,
  unlink = 39,
  link_exit = 40,
  module_request = 41,
  module_data = 42,
  stop = 43,
  control = 44,
  control_reply = 45,
  signal = 46,
  publish = 47,
};

/// The first and last kind of the membership range.
inline constexpr std::uint8_t first_membership_kind = 1;
inline constexpr std::uint8_t last_membership_kind = 31;

/// The first and last kind of the payload range.
inline constexpr std::uint8_t first_payload_kind = 32;
inline constexpr std::uint8_t last_payload_kind = 127;

/// True for kinds 1 to 5, the membership frames this version handles.
bool is_membership_kind(std::uint8_t kind);

/// True for kinds 32 to 127.
bool is_payload_kind(std::uint8_t kind);

/// Returns the name of a named kind ("hello", "spawn"), "payload kind N"
/// for other payload kinds, and "kind N" for the rest.
std::string kind_name(std::uint8_t kind);

/// A member's state as one node sees it.
enum class member_state : std::uint8_t {
  /// Known by gossip or a seed, but not heard from directly yet.
  joining = 0,
  alive = 1,
  /// Silent for a while, or its connection dropped; not yet declared down.
  suspect = 2,
  /// Declared failed. A down member that is heard from again is alive.
  down = 3,
  /// Left the cluster on purpose.
  left = 4,
};

/// Returns "joining", "alive", "suspect", "down" or "left", or "unknown".
const char* to_string(member_state x);

/// Parses a name produced by `to_string`; returns false for other names.
bool from_string(const std::string& name, member_state& x);

/// The fixed-size header in front of every frame body.
struct frame_header {
  std::uint16_t version = wire_protocol_version;
  /// A `frame_kind` value; a raw byte, so that payload kinds without a
  /// name pass through.
  std::uint8_t kind = 0;
  /// A `lane` value; must match the lane of the connection it came on.
  std::uint8_t lane = 0;
  /// Numbers the sender's messages; the chunks of one message share it.
  std::uint64_t message_id = 0;
  /// Position of this chunk, from 0; always 0 for an unchunked message.
  std::uint32_t chunk_index = 0;
  /// Chunks of the message; 1 for an unchunked message.
  std::uint32_t chunk_count = 1;
  /// Bytes of the body part that follows the header.
  std::uint32_t body_size = 0;
};

/// The reason a frame header was rejected.
enum class frame_error : std::uint8_t {
  none = 0,
  /// Fewer bytes than a header.
  truncated,
  /// Not a header: wrong size, or bytes cereal cannot read.
  malformed,
  unsupported_version,
  unknown_kind,
  invalid_lane,
  /// chunk_count 0, chunk_index out of range, or more chunks than allowed.
  invalid_chunk,
  /// body_size above the limit.
  oversized,
};

/// Returns the snake_case name of `x`, e.g. "unsupported_version".
const char* to_string(frame_error x);

/// Limits that a header must respect; the receiver's settings.
struct frame_limits {
  /// Largest body of one frame (one chunk), in bytes.
  std::uint32_t max_body_bytes = 256 * 1024;
  /// Most chunks one message may have.
  std::uint32_t max_chunk_count = 512;
};

/// A header, or why it was rejected.
struct decoded_header {
  frame_header header;
  frame_error error = frame_error::none;
  /// Names the rejected value and the limit, for the log.
  std::string detail;
};

/// Encodes `header` as its 25 bytes.
std::string encode_frame_header(const frame_header& header);

/// Writes the 25 bytes of `header` to `out`, the same bytes as
/// `encode_frame_header` without allocating, for the send path.
void write_frame_header(const frame_header& header,
                        char (&out)[frame_header_bytes]);

/// Decodes and checks a header: size, version, kind (membership, `batch`
/// or payload), lane, chunk fields and body size against `limits`. Never
/// throws.
decoded_header decode_frame_header(std::string_view bytes,
                                   const frame_limits& limits);

/// Body of `hello`: who sends, where it listens, which run of it this is.
struct hello_body {
  std::string node_id;
  /// The sender's listen address, tcp://HOST:PORT.
  std::string address;
  /// Start time of the sender's process in ms since the Unix epoch; a
  /// restarted node has a larger one.
  std::uint64_t incarnation = 0;
  std::uint16_t protocol_version = wire_protocol_version;
};

/// Body of `heartbeat`.
struct heartbeat_body {
  /// Counts the sender's heartbeat rounds.
  std::uint64_t sequence = 0;
  /// The sender's monotonic clock in ns, echoed back for the RTT.
  std::uint64_t sent_ns = 0;
  /// Live agents on the sender.
  std::uint64_t agents = 0;
};

/// Body of `heartbeat_ack`.
struct heartbeat_ack_body {
  std::uint64_t sequence = 0;
  /// `sent_ns` of the heartbeat this acknowledges.
  std::uint64_t echoed_sent_ns = 0;
};

/// One member as the gossip sender sees it.
struct member_record {
  std::string node_id;
  std::string address;
  member_state state = member_state::joining;
  std::uint64_t incarnation = 0;
  /// The member's own heartbeat sequence, the latest the sender received.
  std::uint64_t heartbeat = 0;
};

/// Body of `gossip`: the sender's member list, itself included.
struct gossip_body {
  std::vector<member_record> members;
};

/// Body of `leave`: the sender is shutting down on purpose.
struct leave_body {
  std::uint64_t incarnation = 0;
};

/// Maximum length of a listen address in a body, in characters.
inline constexpr std::size_t max_address_length = 256;

/// Returns what is wrong with `address` as a listen address in a body
/// ("tcp://" and at most 256 characters), or nothing.
std::optional<std::string> wire_address_error(const std::string& address);

// Checks after decoding: node ids, addresses, protocol version. Each
// returns what is wrong, or nothing.
std::optional<std::string> body_error(const hello_body& x);
std::optional<std::string> body_error(const heartbeat_body& x);
std::optional<std::string> body_error(const heartbeat_ack_body& x);
std::optional<std::string> body_error(const member_record& x);
std::optional<std::string> body_error(const gossip_body& x);
std::optional<std::string> body_error(const leave_body& x);

/// Encodes a body with cereal's portable binary archive.
template <class Body>
std::string encode_body(const Body& body) {
  return to_binary(body);
}

/// Decodes and checks a body. Never throws: invalid bytes and invalid
/// values both return failure{errc::invalid_request, ...}.
template <class Body>
result<Body> decode_body(const std::string& bytes) {
  auto decoded = from_binary<Body>(bytes);
  if (!decoded)
    return decoded.error();
  if (auto error = body_error(*decoded))
    return failure{errc::invalid_request, *error};
  return decoded;
}

template <class Archive>
void serialize(Archive& archive, frame_header& x) {
  binary::serialize_fields(archive, x.version, x.kind, x.lane, x.message_id,
                           x.chunk_index, x.chunk_count, x.body_size);
}

template <class Archive>
void serialize(Archive& archive, hello_body& x) {
  binary::serialize_fields(archive, x.node_id, x.address, x.incarnation,
                           x.protocol_version);
}

template <class Archive>
void serialize(Archive& archive, heartbeat_body& x) {
  binary::serialize_fields(archive, x.sequence, x.sent_ns, x.agents);
}

template <class Archive>
void serialize(Archive& archive, heartbeat_ack_body& x) {
  binary::serialize_fields(archive, x.sequence, x.echoed_sent_ns);
}

template <class Archive>
void serialize(Archive& archive, member_record& x) {
  binary::serialize_fields(archive, x.node_id, x.address, x.state,
                           x.incarnation, x.heartbeat);
}

template <class Archive>
void serialize(Archive& archive, gossip_body& x) {
  binary::serialize_fields(archive, x.members);
}

template <class Archive>
void serialize(Archive& archive, leave_body& x) {
  binary::serialize_fields(archive, x.incarnation);
}

} // namespace corral
