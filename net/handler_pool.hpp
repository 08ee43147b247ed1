#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace corral {

/// A fixed set of threads that run control request handlers, so that one
/// slow request (a stop with a grace period, a send with a long timeout)
/// does not hold up the I/O thread or the other clients.
class handler_pool {
public:
  /// Starts `threads` threads (at least one) and accepts at most
  /// `max_pending` jobs that wait for a free thread.
  handler_pool(std::size_t threads, std::size_t max_pending);

  /// Calls `stop`.
  ~handler_pool();

  handler_pool(const handler_pool&) = delete;
  handler_pool& operator=(const handler_pool&) = delete;

  /// Queues `job`. Returns false, without running it, when `max_pending`
  /// jobs are waiting or the pool has stopped. A job must not throw.
  bool try_submit(std::function<void()> job);

  /// Drops the jobs that have not started, waits for the running ones and
  /// joins the threads. So this takes as long as the slowest running job.
  void stop();

private:
  void run();

  const std::size_t max_pending_;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> jobs_;
  std::vector<std::thread> threads_;
  bool stopping_ = false;
};

} // namespace corral
