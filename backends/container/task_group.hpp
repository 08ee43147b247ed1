#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>

namespace corral::container {

/// Threads that drive engine commands and container I/O outside CAF's
/// scheduler. Each task runs on a thread of its own, so a slow engine call
/// does not delay another container. The owner waits for all of them
/// before it goes away.
class task_group : public std::enable_shared_from_this<task_group> {
public:
  /// Runs `task` on a new thread; the group stays alive until it returns.
  void run(std::function<void()> task);

  /// Waits until every task has returned or `timeout` passed; returns
  /// the number of tasks still running.
  std::size_t wait(std::chrono::milliseconds timeout);

private:
  std::mutex mutex_;
  std::condition_variable idle_;
  std::size_t running_ = 0;
};

} // namespace corral::container
