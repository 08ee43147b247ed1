#include "backends/tee/channel_codec.hpp"

#include <cerrno>

#include <sodium.h>

#include "backends/tee/frame_io.hpp"

namespace corral::tee {

bool fits_in_frame(const std::string& plain) {
  return plain.size() + crypto_secretstream_xchacha20poly1305_ABYTES
         <= max_frame_bytes;
}

std::string encode_frame(const channel_frame& frame) {
  return to_binary(frame);
}

send_status send_sealed(int fd, channel_sealer& sealer,
                        const channel_frame& frame) {
  auto plain = encode_frame(frame);
  // Checked before sealing: a sealed frame that is not sent would leave
  // the stream's counter one ahead of the peer's.
  if (!fits_in_frame(plain))
    return send_status::too_large;
  if (write_frame(fd, sealer.seal(plain)))
    return send_status::sent;
  return errno == EAGAIN || errno == EWOULDBLOCK ? send_status::timed_out
                                                 : send_status::failed;
}

std::optional<channel_frame> decode_frame(const std::string& bytes) {
  auto decoded = from_binary<channel_frame>(bytes);
  if (!decoded)
    return std::nullopt;
  return std::move(*decoded);
}

} // namespace corral::tee
