#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "backends/tee/protocol.hpp"
#include "backends/tee/secure_channel.hpp"

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
};

/// Returns true when `plain`, once sealed, fits in one channel frame.
bool fits_in_frame(const std::string& plain);

/// Encodes `frame`, seals it with `sealer` and writes it to `fd` with the
/// framing of `write_frame`. A frame that would not fit is neither sealed
/// nor sent. With a `timeout`, the peer must read the whole frame within
/// it; without one, the write waits as long as the peer does.
send_status send_sealed(int fd, channel_sealer& sealer,
                        const channel_frame& frame,
                        std::optional<std::chrono::milliseconds> timeout
                        = std::nullopt);

} // namespace corral::tee
