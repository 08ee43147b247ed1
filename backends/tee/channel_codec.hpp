#pragma once

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
  /// The peer did not read within the channel's write timeout.
  timed_out,
  /// The peer is gone.
  failed,
};

/// Returns true when `plain` sealed fits in one channel frame.
bool fits_in_frame(const std::string& plain);

/// Encodes a sealed frame's plaintext.
std::string encode_frame(const channel_frame& frame);

/// Encodes `frame`, seals it with `sealer` and writes it to `fd`. A frame
/// that would not fit is neither sealed nor sent.
send_status send_sealed(int fd, channel_sealer& sealer,
                        const channel_frame& frame);

/// Decodes a sealed frame's plaintext; nothing for bytes that are no frame.
std::optional<channel_frame> decode_frame(const std::string& bytes);

} // namespace corral::tee
