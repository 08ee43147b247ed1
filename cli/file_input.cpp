#include "cli/file_input.hpp"

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <unistd.h>

namespace corral::cli {

namespace {

failure read_failure(const std::string& what, const std::string& path,
                     int error) {
  auto name = path == "-" ? std::string{"stdin"} : "\"" + path + "\"";
  return failure{errc::invalid_request,
                 "cannot read " + what + " " + name + ": "
                   + std::strerror(error)};
}

} // namespace

result<std::string> read_input_file(const std::string& path,
                                    const std::string& what) {
  // POSIX calls rather than std::ifstream, because only they report why a
  // read failed (errno), e.g. a missing file or a directory.
  int fd = path == "-" ? STDIN_FILENO
                       : ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return read_failure(what, path, errno);

  std::string text;
  char buffer[64 * 1024];
  int error = 0;
  for (;;) {
    auto count = ::read(fd, buffer, sizeof(buffer));
    if (count > 0) {
      text.append(buffer, static_cast<std::size_t>(count));
      continue;
    }
    if (count < 0 && errno == EINTR)
      continue;
    if (count < 0)
      error = errno;
    break;
  }
  if (fd != STDIN_FILENO)
    ::close(fd);
  if (error != 0)
    return read_failure(what, path, error);
  return text;
}

} // namespace corral::cli
