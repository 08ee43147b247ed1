#pragma once

// File-system steps around an ipc control socket: a private directory, a
// check for a node that already listens on the path, and a umask that keeps
// the socket private from the moment it is created.

#include <optional>
#include <string>

#include <sys/types.h>

#include "serialization/errc.hpp"

namespace corral {

/// Creates the missing directories above `socket_path` with mode 0700. An
/// existing parent directory must belong to this user or root and must not
/// be writable by group or others unless its sticky bit is set (as on
/// /tmp), because a user who can write there can replace the socket. Returns
/// the failure, or nothing on success.
std::optional<failure> prepare_socket_directory(const std::string& socket_path);

/// Makes `socket_path` free for a new socket: removes a stale socket file
/// left by a node that died, but fails when a process still accepts
/// connections on it or when the path is not a socket.
std::optional<failure> remove_stale_socket(const std::string& socket_path);

/// True when `socket_path` exists and is a Unix socket.
bool socket_file_exists(const std::string& socket_path);

/// Sets the process umask for its lifetime and restores the previous one.
/// The umask is process-wide, so files that other threads create meanwhile
/// get the stricter mask too; keep the guarded scope short.
class umask_guard {
public:
  explicit umask_guard(mode_t mask);
  ~umask_guard();

  umask_guard(const umask_guard&) = delete;
  umask_guard& operator=(const umask_guard&) = delete;

private:
  mode_t previous_;
};

} // namespace corral
