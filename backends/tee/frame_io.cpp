#include "backends/tee/frame_io.hpp"

#include <cerrno>
#include <cstdint>

#include <poll.h>
#include <sys/socket.h>

namespace corral::tee {

namespace {

using clock = std::chrono::steady_clock;

// Waits until `fd` is readable or the deadline passed; false on timeout.
bool wait_readable(int fd, const std::optional<clock::time_point>& deadline) {
  if (!deadline)
    return true;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                  *deadline - clock::now())
                  .count();
    if (left <= 0)
      return false;
    pollfd entry{fd, POLLIN, 0};
    int ready = ::poll(&entry, 1, static_cast<int>(left));
    if (ready > 0)
      return true;
    if (ready < 0 && errno != EINTR)
      return true; // the read that follows reports the error
  }
}

// Reads exactly `size` bytes. `got_any` separates a clean close from a cut
// frame.
read_status read_exact(int fd, char* data, std::size_t size,
                       const std::optional<clock::time_point>& deadline,
                       bool& got_any) {
  std::size_t done = 0;
  while (done < size) {
    if (!wait_readable(fd, deadline))
      return read_status::timed_out;
    auto n = ::recv(fd, data + done, size - done, 0);
    if (n == 0)
      return got_any || done > 0 ? read_status::failed : read_status::closed;
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return read_status::failed;
    }
    done += static_cast<std::size_t>(n);
    got_any = true;
  }
  return read_status::ok;
}

} // namespace

bool write_frame(int fd, std::string_view bytes) {
  if (bytes.size() > max_frame_bytes)
    return false;
  unsigned char prefix[4];
  auto size = static_cast<std::uint32_t>(bytes.size());
  for (int i = 0; i < 4; ++i)
    prefix[i] = static_cast<unsigned char>(size >> (8 * i));
  std::string frame(reinterpret_cast<const char*>(prefix), 4);
  frame.append(bytes);
  std::size_t done = 0;
  while (done < frame.size()) {
    auto n = ::send(fd, frame.data() + done, frame.size() - done,
                    MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return false;
    }
    done += static_cast<std::size_t>(n);
  }
  return true;
}

read_status read_frame(int fd, std::string& out,
                       std::optional<clock::time_point> deadline) {
  unsigned char prefix[4];
  bool got_any = false;
  auto status = read_exact(fd, reinterpret_cast<char*>(prefix), 4, deadline,
                           got_any);
  if (status != read_status::ok)
    return status;
  std::uint32_t size = 0;
  for (int i = 0; i < 4; ++i)
    size |= static_cast<std::uint32_t>(prefix[i]) << (8 * i);
  if (size > max_frame_bytes)
    return read_status::too_large;
  out.resize(size);
  return read_exact(fd, out.data(), size, deadline, got_any);
}

const char* to_string(read_status x) {
  switch (x) {
    case read_status::ok:
      return "ok";
    case read_status::closed:
      return "closed";
    case read_status::failed:
      return "failed";
    case read_status::too_large:
      return "too large";
    case read_status::timed_out:
      return "timed out";
  }
  return "unknown";
}

} // namespace corral::tee
