#pragma once

#include <optional>
#include <string>

#include "backends/tee/protocol.hpp"
#include "backends/tee/secure_channel.hpp"
#include "backends/tee/shared_ring.hpp"

namespace corral::tee {

/// The outcome of sealing and sending one frame.
enum class send_status {
  sent,
  /// The sealed frame would exceed `max_frame_bytes`. Nothing was sealed
  /// or sent, so the channel stays usable.
  too_large,
  /// The peer did not read the whole frame before the deadline. Part of it
  /// may have been sent, so the channel is no longer usable.
  timed_out,
  /// The peer is gone.
  failed,
  /// The peer wrote an invalid read index into the ring; the ring's
  /// `error()` describes it. The channel is no longer usable.
  corrupt,
  /// The sealer has used every frame number, as its `error()` states.
  /// Nothing was sent, and the channel is no longer usable.
  exhausted,
};

/// Returns true when `plain`, once sealed, fits in one channel frame.
bool fits_in_frame(const std::string& plain);

/// Encodes `frame`, seals it with `sealer` and writes it into `ring` with
/// the framing of `write_frame`, calling `wait` whenever the ring is full.
/// A frame that would not fit is neither sealed nor sent.
send_status send_sealed(ring_producer& ring, channel_sealer& sealer,
                        const channel_frame& frame, const ring_waiter& wait);

/// Returns the bytes `send_sealed` writes for `sealed`: its length as 4
/// little-endian bytes, then `sealed`.
std::string framed(const std::string& sealed);

} // namespace corral::tee
