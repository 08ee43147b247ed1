#include "backends/tee/sealed_send.hpp"

#include <cstdint>

#include "backends/tee/channel_codec.hpp"
#include "backends/tee/frame_io.hpp"

namespace corral::tee {

bool fits_in_frame(const std::string& plain) {
  return plain.size() + sealed_overhead <= max_frame_bytes;
}

namespace {

void put_length(std::uint32_t size, std::string& bytes) {
  for (int i = 0; i < 4; ++i)
    bytes[i] = static_cast<char>(size >> (8 * i));
}

} // namespace

std::string framed(const std::string& sealed) {
  std::string bytes(4, '\0');
  put_length(static_cast<std::uint32_t>(sealed.size()), bytes);
  bytes += sealed;
  return bytes;
}

send_status send_sealed(ring_producer& ring, channel_sealer& sealer,
                        const channel_frame& frame, const ring_waiter& wait) {
  auto plain = encode_frame(frame);
  // Checked before sealing: a sealed frame that is not sent would leave
  // the sealer's frame number one ahead of the peer's.
  if (!fits_in_frame(plain))
    return send_status::too_large;
  // Sealed straight behind the length prefix, so the frame is not copied
  // once more.
  std::string bytes(4, '\0');
  bytes.reserve(4 + plain.size() + sealed_overhead);
  if (!sealer.seal_to(plain, bytes))
    return send_status::exhausted;
  put_length(static_cast<std::uint32_t>(bytes.size() - 4), bytes);
  switch (write_ring_bytes(ring, bytes, wait)) {
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
