#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>

namespace corral {

/// Writes at most one line per interval for each of a fixed number of
/// reasons, and states in the next line how many were suppressed, so that a
/// flood of bad input cannot flood the log. Not thread-safe: one I/O thread
/// owns it.
class rate_limited_log {
public:
  /// Logs for `node_id`, with `reasons` distinct keys.
  rate_limited_log(std::string node_id, std::size_t reasons,
                   std::chrono::milliseconds interval
                   = std::chrono::seconds{1});

  /// Writes `text` at `level` unless a line for `reason` was written less
  /// than an interval before `now`.
  void write(std::size_t reason, spdlog::level::level_enum level,
             const std::string& text,
             std::chrono::steady_clock::time_point now);

private:
  struct slot {
    std::chrono::steady_clock::time_point last{};
    bool written = false;
    std::uint64_t suppressed = 0;
  };

  std::string node_id_;
  std::chrono::milliseconds interval_;
  std::vector<slot> slots_;
};

} // namespace corral
