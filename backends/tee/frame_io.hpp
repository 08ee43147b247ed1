#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace corral::tee {

/// Largest frame on the channel between proxy and enclave host: a 16 MiB
/// payload plus the envelope and the 17-byte authentication overhead.
inline constexpr std::size_t max_frame_bytes = (16u << 20) + (64u << 10);

/// The outcome of reading one frame.
enum class read_status {
  ok,
  closed,    ///< the peer closed the channel before a frame began
  failed,    ///< a read error, or the channel closed inside a frame
  too_large, ///< the length prefix exceeds `max_frame_bytes`
  timed_out, ///< the deadline passed first
};

/// Writes `bytes` with a 4-byte little-endian length prefix. Returns false
/// when the peer is gone. Sends with MSG_NOSIGNAL, so a closed peer raises
/// no SIGPIPE.
bool write_frame(int fd, std::string_view bytes);

/// Time a side polls the channel's ring for the next frame, or for room,
/// before it sleeps on the socket until the other side rings. While
/// messages keep coming, a round trip then skips the host's wake-up. The
/// proxy's actor waits inline instead (`inline_reply_spin`).
inline constexpr std::chrono::microseconds channel_spin{50};

/// Reads one length-prefixed frame into `out`, waiting until `deadline`
/// (none: without limit).
read_status read_frame(
  int fd, std::string& out,
  std::optional<std::chrono::steady_clock::time_point> deadline = {});

/// Returns "closed", "failed", ... for messages.
const char* to_string(read_status x);

} // namespace corral::tee
