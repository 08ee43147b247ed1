#include "net/accept_guard.hpp"

#include <atomic>
#include <cerrno>
#include <mutex>

#include <dlfcn.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

namespace corral {

namespace {

using accept_function = int (*)(int, sockaddr*, socklen_t*);
using accept4_function = int (*)(int, sockaddr*, socklen_t*, int);

std::mutex spare_mutex;
int spare_fd = -1;
std::atomic<std::uint64_t> closed_connections{0};

int open_spare() {
  return ::open("/dev/null", O_RDONLY | O_CLOEXEC);
}

/// Frees the spare descriptor, accepts one pending connection into it with
/// `accept_one`, closes that connection and takes the spare back. The
/// client sees its connection closed and may try again later. Sets errno
/// to ECONNABORTED and returns -1, the result libzmq ignores.
template <class AcceptOne>
int refuse_pending_connection(AcceptOne accept_one) {
  std::lock_guard<std::mutex> guard{spare_mutex};
  if (spare_fd >= 0) {
    ::close(spare_fd);
    int connection = accept_one();
    if (connection >= 0) {
      ::close(connection);
      closed_connections.fetch_add(1, std::memory_order_relaxed);
    }
    // Another thread may have taken the freed slot; then the next refusal
    // finds no spare, and the pending connection waits for a free slot.
    spare_fd = open_spare();
  }
  errno = ECONNABORTED;
  return -1;
}

bool out_of_descriptors(int result) {
  return result < 0 && (errno == EMFILE || errno == ENFILE);
}

} // namespace

void prepare_accept_guard() {
  std::lock_guard<std::mutex> guard{spare_mutex};
  if (spare_fd < 0)
    spare_fd = open_spare();
}

std::uint64_t connections_closed_by_accept_guard() {
  return closed_connections.load(std::memory_order_relaxed);
}

} // namespace corral

extern "C" {

/// Calls the C library's accept4, and on EMFILE or ENFILE closes the
/// pending connection instead of failing (see accept_guard.hpp).
__attribute__((visibility("default"))) int
accept4(int fd, sockaddr* address, socklen_t* length, int flags) {
  static auto next
    = reinterpret_cast<corral::accept4_function>(::dlsym(RTLD_NEXT, "accept4"));
  if (next == nullptr) {
    errno = ENOSYS;
    return -1;
  }
  int result = next(fd, address, length, flags);
  if (!corral::out_of_descriptors(result))
    return result;
  return corral::refuse_pending_connection(
    [&] { return next(fd, nullptr, nullptr, SOCK_CLOEXEC); });
}

/// Calls the C library's accept, and on EMFILE or ENFILE closes the
/// pending connection instead of failing (see accept_guard.hpp).
__attribute__((visibility("default"))) int
accept(int fd, sockaddr* address, socklen_t* length) {
  static auto next
    = reinterpret_cast<corral::accept_function>(::dlsym(RTLD_NEXT, "accept"));
  if (next == nullptr) {
    errno = ENOSYS;
    return -1;
  }
  int result = next(fd, address, length);
  if (!corral::out_of_descriptors(result))
    return result;
  return corral::refuse_pending_connection(
    [&] { return next(fd, nullptr, nullptr); });
}

} // extern "C"
