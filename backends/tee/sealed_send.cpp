#include "backends/tee/sealed_send.hpp"

#include <cstdint>

#include <sodium.h>

#include "backends/tee/channel_codec.hpp"
#include "backends/tee/frame_io.hpp"

namespace corral::tee {

bool fits_in_frame(const std::string& plain) {
  return plain.size() + crypto_secretstream_xchacha20poly1305_ABYTES
         <= max_frame_bytes;
}

std::string framed(const std::string& sealed) {
  auto size = static_cast<std::uint32_t>(sealed.size());
  std::string bytes(4, '\0');
  for (int i = 0; i < 4; ++i)
    bytes[i] = static_cast<char>(size >> (8 * i));
  bytes += sealed;
  return bytes;
}

send_status send_sealed(ring_producer& ring, channel_sealer& sealer,
                        const channel_frame& frame, const ring_waiter& wait) {
  auto plain = encode_frame(frame);
  // Checked before sealing: a sealed frame that is not sent would leave
  // the stream's counter one ahead of the peer's.
  if (!fits_in_frame(plain))
    return send_status::too_large;
  switch (write_ring_bytes(ring, framed(sealer.seal(plain)), wait)) {
    case ring_status::ok:
      return send_status::sent;
    case ring_status::timed_out:
      return send_status::timed_out;
    case ring_status::corrupt:
      return send_status::corrupt;
    case ring_status::closed:
      break;
  }
  return send_status::failed;
}

} // namespace corral::tee
