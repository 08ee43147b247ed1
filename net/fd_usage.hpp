#pragma once

#include <cstddef>
#include <optional>

#include <dirent.h>

namespace corral {

/// How many file descriptors this process has open, and its soft limit
/// (RLIMIT_NOFILE).
struct fd_usage {
  std::size_t open = 0;
  std::size_t limit = 0;
};

/// Counts this process's open file descriptors by listing /proc/self/fd
/// through a stream opened once, in the constructor. Counting then needs no
/// free descriptor, so it works even when the process is at its limit.
/// Not thread-safe.
class fd_counter {
public:
  /// Opens /proc/self/fd; where that fails, `read` returns nothing.
  fd_counter();

  /// Closes the stream.
  ~fd_counter();

  fd_counter(const fd_counter&) = delete;
  fd_counter& operator=(const fd_counter&) = delete;

  /// Returns the open descriptors, leaving out the counter's own, and the
  /// soft limit. Returns nothing where /proc is not mounted or the limit is
  /// infinite, because then no check applies.
  std::optional<fd_usage> read();

private:
  DIR* directory_;
};

/// Returns how many descriptors a process with `limit` keeps free for the
/// work it has already accepted: an eighth of the limit, at least 16 and
/// at most 256. NOTE: the bounds are a judgment call, not a measurement.
std::size_t fd_reserve_for(std::size_t limit);

} // namespace corral
