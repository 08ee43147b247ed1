#include "backends/tee/sealed_send.hpp"

#include <cerrno>
#include <cstdint>
#include <string_view>

#include <poll.h>
#include <sodium.h>
#include <sys/socket.h>

#include "backends/tee/channel_codec.hpp"
#include "backends/tee/frame_io.hpp"

namespace corral::tee {

namespace {

using clock = std::chrono::steady_clock;

// Writes all of `bytes`. With a deadline, sends without blocking and waits
// for room with poll, so that a peer that stops reading cannot hold the
// caller past it.
send_status write_all(int fd, std::string_view bytes,
                      std::optional<clock::time_point> deadline) {
  int flags = MSG_NOSIGNAL | (deadline ? MSG_DONTWAIT : 0);
  std::size_t done = 0;
  while (done < bytes.size()) {
    auto n = ::send(fd, bytes.data() + done, bytes.size() - done, flags);
    if (n >= 0) {
      done += static_cast<std::size_t>(n);
      continue;
    }
    if (errno == EINTR)
      continue;
    if (!deadline || (errno != EAGAIN && errno != EWOULDBLOCK))
      return send_status::failed;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                  *deadline - clock::now())
                  .count();
    if (left <= 0)
      return send_status::timed_out;
    pollfd entry{fd, POLLOUT, 0};
    ::poll(&entry, 1, static_cast<int>(left));
  }
  return send_status::sent;
}

} // namespace

bool fits_in_frame(const std::string& plain) {
  return plain.size() + crypto_secretstream_xchacha20poly1305_ABYTES
         <= max_frame_bytes;
}

send_status send_sealed(int fd, channel_sealer& sealer,
                        const channel_frame& frame,
                        std::optional<std::chrono::milliseconds> timeout) {
  std::optional<clock::time_point> deadline;
  if (timeout)
    deadline = clock::now() + *timeout;
  auto plain = encode_frame(frame);
  // Checked before sealing: a sealed frame that is not sent would leave
  // the stream's counter one ahead of the peer's.
  if (!fits_in_frame(plain))
    return send_status::too_large;
  auto sealed = sealer.seal(plain);

  // The framing of write_frame: a 4-byte little-endian length, then the
  // bytes.
  auto size = static_cast<std::uint32_t>(sealed.size());
  std::string framed(4, '\0');
  for (int i = 0; i < 4; ++i)
    framed[i] = static_cast<char>(size >> (8 * i));
  framed += sealed;
  return write_all(fd, framed, deadline);
}

} // namespace corral::tee
