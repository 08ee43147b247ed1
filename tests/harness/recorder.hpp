#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "actors/messages.hpp"

namespace corral::testing {

/// One thing a probe agent observed.
struct observation {
  /// "message", "down", "exit_signal", "warning", "start" or "shutdown".
  std::string kind;
  /// The message for kind "message"; for the others, topic holds the
  /// other agent's id and payload the exit reason or resource.
  corral::message msg;
  pid_type pid = 0;
  exit_reason reason;
};

/// A thread-safe log of observations that tests wait on.
class recorder {
public:
  /// Appends an observation and wakes waiters.
  void add(observation x);

  /// Waits until `match` holds for some observation, at most `timeout`;
  /// returns a copy of the first match, or nothing.
  std::optional<observation>
  wait_for(const std::function<bool(const observation&)>& match,
           std::chrono::milliseconds timeout);

  /// Returns every observation so far.
  std::vector<observation> all() const;

  /// Counts the observations of `kind`.
  std::size_t count(const std::string& kind) const;

private:
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<observation> items_;
};

} // namespace corral::testing
