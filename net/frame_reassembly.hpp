#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>

#include "serialization/wire_frame.hpp"

namespace corral {

/// Joins the chunks of large messages, per peer, within a memory bound.
/// Chunks of one message must arrive in order, which one ZeroMQ connection
/// guarantees. Not thread-safe: the I/O thread owns it.
class frame_reassembly {
public:
  /// The result of `add` for one chunk.
  enum class outcome {
    /// Kept; the message is not complete yet.
    pending,
    /// The last chunk: `add` returned the whole body.
    complete,
    /// Out of order or not matching the first chunk; the message is gone.
    invalid_chunk,
    /// The peer's bound would be exceeded; the message is gone and later
    /// chunks of it are ignored.
    overflow,
    /// A later chunk of a message dropped before; ignored.
    discarded,
  };

  /// Keeps at most `max_bytes_per_peer` of incomplete messages per peer.
  explicit frame_reassembly(std::size_t max_bytes_per_peer);

  /// Adds one chunk (chunk_count > 1) from `peer`. Sets `body` to the
  /// whole message when the result is `complete`.
  outcome add(const std::string& peer, const frame_header& header,
              std::string_view chunk, std::string& body);

  /// Drops everything kept for `peer`, e.g. when it is down.
  void forget(const std::string& peer);

  /// Bytes kept for `peer` now.
  std::size_t bytes_kept(const std::string& peer) const;

private:
  struct partial {
    std::uint8_t kind = 0;
    std::uint32_t chunk_count = 0;
    std::uint32_t next_index = 0;
    std::string body;
  };

  /// Messages are keyed by lane and message_id.
  using message_key = std::pair<std::uint8_t, std::uint64_t>;

  struct peer_state {
    std::size_t bytes = 0;
    std::map<message_key, partial> partials;
    /// Messages dropped before their last chunk; bounded, oldest first out.
    std::set<message_key> discarded;
  };

  void discard(peer_state& state, const message_key& key);

  std::size_t max_bytes_per_peer_;
  std::map<std::string, peer_state> peers_;
};

} // namespace corral
