#pragma once

// Small helpers that turn a command's result into readable checks.

#include <chrono>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "child_process.hpp"

namespace corral::testing {

/// "exit N, stdout: ..., stderr: ..." for failure messages.
inline std::string summary(const command_result& result) {
  return "exit " + std::to_string(result.exit_code)
         + (result.timed_out ? " (timed out)" : "") + ", stdout: "
         + result.out + ", stderr: " + result.err;
}

/// Parses stdout as JSON; a parse error yields a JSON string holding the
/// whole output, so the checks that follow fail with it in view.
inline nlohmann::json parse_stdout(const command_result& result) {
  auto parsed = nlohmann::json::parse(result.out, nullptr, false);
  if (parsed.is_discarded())
    return "unparsable stdout: " + summary(result);
  return parsed;
}

/// Creates a Unix socket file at `path` without a listener.
inline void make_stale_socket(const std::string& path) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  path.copy(address.sun_path, sizeof(address.sun_path) - 1);
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  ::close(fd);
}

/// A duration in whole milliseconds, for failure messages.
template <class Duration>
long long as_milliseconds(Duration duration) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(duration)
    .count();
}

/// Returns the non-empty lines of `text`.
inline std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in{text};
  for (std::string line; std::getline(in, line);)
    if (!line.empty())
      lines.push_back(line);
  return lines;
}

} // namespace corral::testing
