#include "net/socket_file.hpp"

#include "net/listener_probe.hpp"

#include <cerrno>
#include <cstring>

#include <sys/stat.h>
#include <unistd.h>

namespace corral {

namespace {

failure io_failure(const std::string& what, const std::string& path,
                   int error) {
  return failure{errc::internal_error,
                 what + " \"" + path + "\" failed: " + std::strerror(error)};
}

std::string parent_of(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos)
    return ".";
  if (slash == 0)
    return "/";
  return path.substr(0, slash);
}

std::optional<failure> check_directory(const std::string& path,
                                       const struct stat& info) {
  if (!S_ISDIR(info.st_mode))
    return failure{errc::invalid_request,
                   "\"" + path + "\" exists and is not a directory"};
  if (info.st_uid != ::geteuid() && info.st_uid != 0)
    return failure{errc::capability_denied,
                   "directory \"" + path + "\" belongs to user "
                     + std::to_string(info.st_uid)
                     + ", not to this user; choose another --control path"};
  bool writable_by_others = (info.st_mode & (S_IWGRP | S_IWOTH)) != 0;
  bool sticky = (info.st_mode & S_ISVTX) != 0;
  if (writable_by_others && !sticky)
    return failure{errc::capability_denied,
                   "directory \"" + path
                     + "\" is writable by other users, who could replace "
                       "the control socket; run chmod go-w on it or choose "
                       "another --control path"};
  return std::nullopt;
}

/// Creates `path` and its missing parents with mode 0700, like mkdir -p.
std::optional<failure> make_directories(const std::string& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) == 0)
    return check_directory(path, info);
  if (errno != ENOENT)
    return io_failure("stat of", path, errno);

  auto parent = parent_of(path);
  if (parent != path) {
    if (auto error = make_directories(parent))
      return error;
  }
  if (::mkdir(path.c_str(), 0700) != 0 && errno != EEXIST)
    return io_failure("creating directory", path, errno);

  // mkdir applies the umask, which may clear bits but never add any, so
  // chmod makes the mode exactly 0700 whatever the umask is.
  if (::chmod(path.c_str(), 0700) != 0)
    return io_failure("chmod of", path, errno);
  return std::nullopt;
}

} // namespace

std::optional<failure> prepare_socket_directory(const std::string& socket_path) {
  return make_directories(parent_of(socket_path));
}

std::optional<failure> remove_stale_socket(const std::string& socket_path) {
  struct stat info {};
  if (::lstat(socket_path.c_str(), &info) != 0) {
    if (errno == ENOENT)
      return std::nullopt;
    return io_failure("stat of", socket_path, errno);
  }
  if (!S_ISSOCK(info.st_mode))
    return failure{errc::invalid_request,
                   "\"" + socket_path
                     + "\" exists and is not a socket; remove it or choose "
                       "another --control path"};

  // A connect that succeeds means a live process listens there; only a
  // refused connect proves that the file is left over from a dead node.
  control_address address;
  address.path = socket_path;
  auto listening = probe_listener(address);
  if (!listening)
    return listening.error();
  if (*listening)
    return failure{errc::invalid_request,
                   "another node already listens on \"" + socket_path
                     + "\"; stop it or choose another --id or --control"};

  if (::unlink(socket_path.c_str()) != 0 && errno != ENOENT)
    return io_failure("removing the stale socket", socket_path, errno);
  return std::nullopt;
}

bool socket_file_exists(const std::string& socket_path) {
  struct stat info {};
  return ::stat(socket_path.c_str(), &info) == 0 && S_ISSOCK(info.st_mode);
}

umask_guard::umask_guard(mode_t mask) : previous_(::umask(mask)) {
}

umask_guard::~umask_guard() {
  ::umask(previous_);
}

} // namespace corral
