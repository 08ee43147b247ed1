#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>

#include <nlohmann/json.hpp>

#include "serialization/wire_frame.hpp"

namespace corral {

/// The reason the transport dropped an inbound frame.
enum class drop_reason : std::uint8_t {
  /// Not header and body after the routing identity.
  bad_part_count,
  /// A routing identity that is not NODE_ID/control or NODE_ID/bulk.
  bad_identity,
  truncated_header,
  malformed_header,
  unsupported_version,
  unknown_kind,
  /// A lane byte out of range, or not the lane of the connection.
  invalid_lane,
  invalid_chunk,
  oversized,
  /// The body part's size differs from the header's body_size.
  body_size_mismatch,
  /// Membership could not read or accept the body.
  malformed_body,
  /// A payload kind without a registered handler.
  unhandled_kind,
  /// A chunk that would exceed the reassembly memory of its peer.
  reassembly_overflow,
  /// An exception on the I/O thread while handling the frame.
  internal_error,
  /// A frame whose routing identity names another node than the one whose
  /// Curve key authenticated the connection.
  key_mismatch,
  /// A batch frame whose body cannot be read: truncated, an entry count
  /// that does not match its entries, too many entries, an entry kind
  /// outside the payload range, or chunked.
  invalid_batch,
};

/// Number of `drop_reason` values.
inline constexpr std::size_t drop_reason_count = 16;

/// Returns the snake_case name of `x`, e.g. "unsupported_version".
const char* to_string(drop_reason x);

/// Maps a header error onto its drop reason.
drop_reason to_drop_reason(frame_error x);

/// A snapshot of the transport's counters.
struct transport_counters {
  /// Frames (chunks count one each) sent and received, per lane.
  std::array<std::uint64_t, 2> frames_sent{};
  std::array<std::uint64_t, 2> frames_received{};
  std::uint64_t bytes_sent = 0;
  std::uint64_t bytes_received = 0;
  /// Chunked messages received whole.
  std::uint64_t messages_reassembled = 0;
  /// Batch frames sent and received, and the messages in the sent ones.
  std::uint64_t batches_sent = 0;
  std::uint64_t messages_batched = 0;
  std::uint64_t batches_received = 0;
  /// `send` calls rejected because the peer's queue was full.
  std::uint64_t send_queue_full = 0;
  /// Queued frames dropped unsent because their peer's link closed.
  std::uint64_t send_dropped = 0;
  /// Membership frames not sent because the link was down or full.
  std::uint64_t control_send_failures = 0;
  /// Exceptions thrown by payload handlers.
  std::uint64_t handler_exceptions = 0;
  /// Curve clients refused by the ZAP handler, e.g. for an unknown key.
  std::uint64_t refused_keys = 0;
  /// Links not opened because the config has no public key for the member.
  std::uint64_t members_without_key = 0;
  /// Non-blocking polls after payload traffic that found work, i.e. rounds
  /// that started without the I/O thread having blocked.
  std::uint64_t busy_poll_hits = 0;
  std::array<std::uint64_t, drop_reason_count> dropped{};
};

/// Returns the counters as JSON; `dropped` is an object keyed by reason.
nlohmann::json to_json(const transport_counters& x);

/// The live counters; written by the I/O thread, read by any thread.
struct atomic_transport_counters {
  std::array<std::atomic<std::uint64_t>, 2> frames_sent{};
  std::array<std::atomic<std::uint64_t>, 2> frames_received{};
  std::atomic<std::uint64_t> bytes_sent{0};
  std::atomic<std::uint64_t> bytes_received{0};
  std::atomic<std::uint64_t> messages_reassembled{0};
  std::atomic<std::uint64_t> batches_sent{0};
  std::atomic<std::uint64_t> messages_batched{0};
  std::atomic<std::uint64_t> batches_received{0};
  std::atomic<std::uint64_t> send_queue_full{0};
  std::atomic<std::uint64_t> send_dropped{0};
  std::atomic<std::uint64_t> control_send_failures{0};
  std::atomic<std::uint64_t> handler_exceptions{0};
  std::atomic<std::uint64_t> refused_keys{0};
  std::atomic<std::uint64_t> members_without_key{0};
  std::atomic<std::uint64_t> busy_poll_hits{0};
  std::array<std::atomic<std::uint64_t>, drop_reason_count> dropped{};

  /// Returns a copy of every counter.
  transport_counters snapshot() const;
};

} // namespace corral
