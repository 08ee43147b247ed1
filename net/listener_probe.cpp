#include "net/listener_probe.hpp"

#include <cerrno>
#include <cstring>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace corral {

namespace {

/// Connects `fd` and closes it; returns the connect errno, or 0.
int connect_and_close(int fd, const sockaddr* address, socklen_t size) {
  int rc = ::connect(fd, address, size);
  int error = rc == 0 ? 0 : errno;
  ::close(fd);
  return error;
}

int probe_ipc(const std::string& path) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return errno;
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  path.copy(address.sun_path, sizeof(address.sun_path) - 1);
  return connect_and_close(fd, reinterpret_cast<sockaddr*>(&address),
                           sizeof(address));
}

int probe_tcp(const std::string& host, std::uint16_t port) {
  if (host == "::1") {
    int fd = ::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
      return errno;
    sockaddr_in6 address{};
    address.sin6_family = AF_INET6;
    address.sin6_port = htons(port);
    address.sin6_addr = in6addr_loopback;
    return connect_and_close(fd, reinterpret_cast<sockaddr*>(&address),
                             sizeof(address));
  }
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return errno;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  ::inet_pton(AF_INET, host.c_str(), &address.sin_addr);
  return connect_and_close(fd, reinterpret_cast<sockaddr*>(&address),
                           sizeof(address));
}

} // namespace

result<bool> probe_listener(const control_address& address) {
  int error = address.transport == control_transport::ipc
                ? probe_ipc(address.path)
                : probe_tcp(address.host, address.port);
  if (error == 0)
    return true;
  if (error == ECONNREFUSED || error == ENOENT)
    return false;
  return failure{errc::internal_error,
                 "probing " + to_endpoint(address)
                   + " failed: " + std::strerror(error)};
}

} // namespace corral
