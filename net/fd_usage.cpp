#include "net/fd_usage.hpp"

#include <algorithm>

#include <sys/resource.h>

namespace corral {

fd_counter::fd_counter() : directory_(::opendir("/proc/self/fd")) {
}

fd_counter::~fd_counter() {
  if (directory_ != nullptr)
    ::closedir(directory_);
}

std::optional<fd_usage> fd_counter::read() {
  rlimit limit{};
  if (directory_ == nullptr || ::getrlimit(RLIMIT_NOFILE, &limit) != 0
      || limit.rlim_cur == RLIM_INFINITY)
    return std::nullopt;

  // Listing the directory again from its start shows the descriptors open
  // now. Every entry but "." and ".." is one, and one is this stream's.
  ::rewinddir(directory_);
  std::size_t entries = 0;
  while (const dirent* entry = ::readdir(directory_))
    if (entry->d_name[0] != '.')
      ++entries;
  return fd_usage{entries > 0 ? entries - 1 : 0,
                  static_cast<std::size_t>(limit.rlim_cur)};
}

std::size_t fd_reserve_for(std::size_t limit) {
  return std::clamp<std::size_t>(limit / 8, 16, 256);
}

} // namespace corral
